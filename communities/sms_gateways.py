"""The real SMS gateways, as SMS_BACKEND choices (issue 15): Aliyun (阿里云短信, alibabacloud_dysmsapi20170525) and
Tencent Cloud (腾讯云短信, tencentcloud-sdk-python-sms). Both read the same variables (README, .env.example):

- SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET: the account's key pair (Tencent: SecretId, SecretKey);
- SMS_SIGN_NAME: the approved signature (签名);
- SMS_TEMPLATES: the approved template of each message kind, "phone_code=SMS_1234,default=SMS_5678" (a kind without
  its own template uses `default`; none at all is a permanent failure, told by name);
- SMS_SDK_APP_ID (Tencent only), SMS_REGION (Tencent, default ap-guangzhou);
- SMS_ENDPOINT: another address for the API, e.g. a proxy, or the tests' fake at http://127.0.0.1:<port>;
- SMS_TIMEOUT_SECONDS (default 5).

A template's variables are the message's params: Aliyun takes them by name (TemplateParam, JSON), Tencent in order
(TemplateParamSet: the values in the order of the params, e.g. a code's `code`, `minutes`).

Idempotency: each message's key (communities.notifications.idempotency_key, or `phone-code-<id>`) goes with it, as
Aliyun's OutId and Tencent's SessionContext. Both gateways echo it in their delivery receipts, so that a message sent
twice after a crash can be traced; neither drops a duplicate by it (docs/RELIABILITY.md).

Errors become SmsError: `transient` (tried again with backoff: the gateway's own faults, throttling and flow control,
timeouts and network errors) or permanent (recorded as failed at once: a malformed or blocked number, a template or
signature refused, a key refused).
"""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .sms import SmsError

# Aliyun answer codes that may pass when tried again (its own faults, flow control, an account to top up); any other
# code but OK is permanent.
ALIYUN_TRANSIENT = {"isp.SYSTEM_ERROR", "isv.BUSINESS_LIMIT_CONTROL", "isv.OUT_OF_SERVICE", "isv.AMOUNT_NOT_ENOUGH"}
# Tencent error codes (prefixes) that may pass; any other is permanent.
TENCENT_TRANSIENT = (
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded",
    "ClientNetworkError",
    "ServerNetworkError",
)


def _required(name: str) -> str:
    value = getattr(settings, name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set to send SMS through {settings.SMS_BACKEND}.")
    return value


def _template(kind: str) -> str:
    templates = settings.SMS_TEMPLATES
    template = templates.get(kind) or templates.get("default")
    if not template:
        raise SmsError(f"no SMS template for {kind!r} (SMS_TEMPLATES)", transient=False)
    return template


def _endpoint():
    """(scheme, host[:port]) of SMS_ENDPOINT, or (None, None) for the SDK's own."""
    if not settings.SMS_ENDPOINT:
        return None, None
    parts = urlsplit(settings.SMS_ENDPOINT if "//" in settings.SMS_ENDPOINT else f"https://{settings.SMS_ENDPOINT}")
    return parts.scheme, parts.netloc


class AliyunSmsBackend:
    """阿里云短信服务 (Dysmsapi SendSms)."""

    accepts_idempotency_key = True

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        scheme, host = _endpoint()
        timeout_ms = int(settings.SMS_TIMEOUT_SECONDS * 1000)
        config = Config(
            access_key_id=_required("SMS_ACCESS_KEY_ID"),
            access_key_secret=_required("SMS_ACCESS_KEY_SECRET"),
            endpoint=host or "dysmsapi.aliyuncs.com",
            protocol=scheme or "https",
            read_timeout=timeout_ms,
            connect_timeout=timeout_ms,
        )
        self.client = Client(config)
        self.sign_name = _required("SMS_SIGN_NAME")

    def send(self, phone: str, template: str, params: dict, *, idempotency_key: str = "") -> None:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from darabonba.runtime import RuntimeOptions

        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.sign_name,
            template_code=_template(template),
            template_param=json.dumps({key: str(value) for key, value in params.items()}, ensure_ascii=False),
            out_id=idempotency_key or None,
        )
        try:
            # The task retries with backoff; the SDK's own retries would only hold the worker.
            response = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except Exception as error:  # the SDK raises its own classes and requests', see _aliyun_error
            raise _aliyun_error(error) from error
        code = getattr(response.body, "code", None)
        if code != "OK":
            message = getattr(response.body, "message", "")
            raise SmsError(f"Aliyun {code}: {message}", transient=code in ALIYUN_TRANSIENT)


def _aliyun_error(error: Exception) -> SmsError:
    """An exception of the Aliyun SDK as an SmsError: 5xx answers, throttling and network errors may pass."""
    from alibabacloud_tea_openapi.exceptions import ServerException, ThrottlingException

    code = getattr(error, "code", None) or type(error).__name__
    status = getattr(error, "status_code", None)
    transient = (
        isinstance(error, ServerException | ThrottlingException)
        or (isinstance(status, int) and status >= 500)
        or "Throttling" in str(code)
        or code in ALIYUN_TRANSIENT
        or status is None  # no answer at all: a timeout, a refused connection
    )
    return SmsError(f"Aliyun {code}: {getattr(error, 'message', error)}", transient=transient)


class TencentSmsBackend:
    """腾讯云短信 (SMS 2021-01-11 SendSms)."""

    accepts_idempotency_key = True

    def __init__(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        scheme, host = _endpoint()
        http = HttpProfile(endpoint=host or "sms.tencentcloudapi.com", protocol=scheme or "https")
        http.reqTimeout = settings.SMS_TIMEOUT_SECONDS
        cred = credential.Credential(_required("SMS_ACCESS_KEY_ID"), _required("SMS_ACCESS_KEY_SECRET"))
        self.client = sms_client.SmsClient(cred, settings.SMS_REGION, ClientProfile(httpProfile=http))
        self.sign_name = _required("SMS_SIGN_NAME")
        self.app_id = _required("SMS_SDK_APP_ID")

    def send(self, phone: str, template: str, params: dict, *, idempotency_key: str = "") -> None:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = _template(template)
        request.TemplateParamSet = [str(value) for value in params.values()]
        request.SessionContext = idempotency_key
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            raise SmsError(
                f"Tencent {error.code}: {error.message}", transient=_tencent_transient(error.code)
            ) from error
        except OSError as error:  # below the SDK: a socket that failed
            raise SmsError(f"Tencent network: {error}", transient=True) from error
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsError("Tencent answered without a send status", transient=True)
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsError(f"Tencent {status.Code}: {status.Message}", transient=_tencent_transient(status.Code))


def _tencent_transient(code) -> bool:
    return str(code or "").startswith(TENCENT_TRANSIENT)
