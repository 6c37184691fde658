"""The Aliyun and Tencent Cloud SMS backends (issue 15), through their own SDKs, against a fake of each HTTP API
served in this process on 127.0.0.1: what each sends (number, signature, template, values, the idempotency key) and
how each answer maps to sent, a transient failure (retried) or a permanent one. Never the internet."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from communities.sms import SmsError
from communities.sms_gateways import AliyunSmsBackend, TencentSmsBackend


class FakeApi:
    """An HTTP server answering every POST with the next scripted (status, JSON body) and recording each request."""

    def __init__(self):
        self.requests = []
        self.answers = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                url = urlsplit(self.path)
                fake.requests.append(
                    {"path": url.path, "query": parse_qs(url.query), "headers": dict(self.headers), "body": body}
                )
                status, answer = fake.answers.pop(0) if fake.answers else (200, {})
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_api(settings):
    api = FakeApi()
    settings.SMS_ENDPOINT = api.url
    settings.SMS_ACCESS_KEY_ID = "test-key-id"
    settings.SMS_ACCESS_KEY_SECRET = "test-key-secret"  # noqa: S105  (a fake's)
    settings.SMS_SIGN_NAME = "社区报到"
    settings.SMS_SDK_APP_ID = "1400000000"
    settings.SMS_TEMPLATES = {"phone_code": "SMS_100", "default": "SMS_200"}
    settings.SMS_TIMEOUT_SECONDS = 2
    yield api
    api.close()


def aliyun_params(request) -> dict:
    """The parameters Aliyun's RPC call carried (query string or form body)."""
    values = {key: value[0] for key, value in request["query"].items()}
    values.update({key: value[0] for key, value in parse_qs(request["body"]).items()})
    return values


# --- Aliyun ---------------------------------------------------------------------------------------------------------


def aliyun_answer(code="OK", message="OK"):
    return {"Code": code, "Message": message, "BizId": "900000000000000000^0", "RequestId": "F655A8D5-B967"}


def test_aliyun_sends_the_number_signature_template_values_and_key(fake_api):
    fake_api.answers.append((200, aliyun_answer()))
    AliyunSmsBackend().send("13912345678", "phone_code", {"code": "123456", "minutes": "5"}, idempotency_key="k-1")
    request = fake_api.requests[0]
    params = aliyun_params(request)
    assert request["headers"]["x-acs-action"] == "SendSms"
    assert params["PhoneNumbers"] == "13912345678"
    assert params["SignName"] == "社区报到"
    assert params["TemplateCode"] == "SMS_100"
    assert json.loads(params["TemplateParam"]) == {"code": "123456", "minutes": "5"}
    assert params["OutId"] == "k-1"
    assert request["headers"]["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=test-key-id,")  # signed


def test_aliyun_uses_the_default_template_for_a_kind_without_its_own(fake_api):
    fake_api.answers.append((200, aliyun_answer()))
    AliyunSmsBackend().send("13912345678", "reminder_unregistered", {"title": "请报到"})
    assert aliyun_params(fake_api.requests[0])["TemplateCode"] == "SMS_200"


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("isv.BLACK_KEY_CONTROL_LIMIT", False),
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("isp.SYSTEM_ERROR", True),
    ],
)
def test_aliyun_refusals_are_transient_or_permanent(fake_api, code, transient):
    fake_api.answers.append((200, aliyun_answer(code, "refused")))
    with pytest.raises(SmsError) as error:
        AliyunSmsBackend().send("13912345678", "phone_code", {"code": "1"})
    assert error.value.transient is transient and code in str(error.value)


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [(500, "InternalError", True), (503, "ServiceUnavailable", True), (400, "InvalidAccessKeyId.NotFound", False)],
)
def test_aliyun_http_errors_are_transient_or_permanent(fake_api, status, code, transient):
    fake_api.answers.append((status, {"Code": code, "Message": "x", "RequestId": "r"}))
    with pytest.raises(SmsError) as error:
        AliyunSmsBackend().send("13912345678", "phone_code", {"code": "1"})
    assert error.value.transient is transient


def test_aliyun_unreachable_is_transient(fake_api, settings):
    fake_api.close()
    with pytest.raises(SmsError) as error:
        AliyunSmsBackend().send("13912345678", "phone_code", {"code": "1"})
    assert error.value.transient is True


# --- Tencent Cloud ----------------------------------------------------------------------------------------------------


def tencent_answer(code="Ok", message="send success"):
    status = {
        "SerialNo": "5000:1045710669157053657849499619",
        "PhoneNumber": "+8613912345678",
        "Fee": 1,
        "SessionContext": "",
        "Code": code,
        "Message": message,
        "IsoCode": "CN",
    }
    return {"Response": {"SendStatusSet": [status], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}


def test_tencent_sends_the_number_signature_template_values_and_key(fake_api):
    fake_api.answers.append((200, tencent_answer()))
    TencentSmsBackend().send("13912345678", "phone_code", {"code": "123456", "minutes": "5"}, idempotency_key="k-2")
    request = fake_api.requests[0]
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=test-key-id/")
    body = json.loads(request["body"])
    assert body["PhoneNumberSet"] == ["+8613912345678"]
    assert body["SmsSdkAppId"] == "1400000000" and body["SignName"] == "社区报到"
    assert body["TemplateId"] == "SMS_100" and body["TemplateParamSet"] == ["123456", "5"]
    assert body["SessionContext"] == "k-2"


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", False),
        ("FailedOperation.TemplateIncorrectOrUnapproved", False),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", True),
        ("InternalError.Timeout", True),
    ],
)
def test_tencent_send_statuses_are_transient_or_permanent(fake_api, code, transient):
    fake_api.answers.append((200, tencent_answer(code, "refused")))
    with pytest.raises(SmsError) as error:
        TencentSmsBackend().send("13912345678", "phone_code", {"code": "1"})
    assert error.value.transient is transient and code in str(error.value)


@pytest.mark.parametrize(
    ("code", "transient"),
    [("AuthFailure.SignatureFailure", False), ("RequestLimitExceeded", True), ("InternalError", True)],
)
def test_tencent_request_errors_are_transient_or_permanent(fake_api, code, transient):
    fake_api.answers.append((200, {"Response": {"Error": {"Code": code, "Message": "x"}, "RequestId": "r"}}))
    with pytest.raises(SmsError) as error:
        TencentSmsBackend().send("13912345678", "phone_code", {"code": "1"})
    assert error.value.transient is transient


def test_tencent_unreachable_is_transient(fake_api):
    fake_api.close()
    with pytest.raises(SmsError) as error:
        TencentSmsBackend().send("13912345678", "phone_code", {"code": "1"})
    assert error.value.transient is True


# --- Through the project's delivery -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["AliyunSmsBackend", "TencentSmsBackend"])
def test_a_stored_sms_goes_out_through_the_gateway_with_its_key_and_a_retry_on_a_transient_failure(
    fake_api, settings, backend
):
    from communities.models import Notification
    from communities.notifications import idempotency_key, notifications_deliver

    settings.SMS_BACKEND = f"communities.sms_gateways.{backend}"
    ok, busy = (
        (aliyun_answer(), aliyun_answer("isp.SYSTEM_ERROR"))
        if backend == "AliyunSmsBackend"
        else (tencent_answer(), tencent_answer("InternalError.Timeout"))
    )
    fake_api.answers.extend([(200, busy), (200, ok)])
    notification = Notification.objects.create(
        phone="13912345678", channel=Notification.Channel.SMS, kind="reminder", title="请报到"
    )
    assert notifications_deliver([notification.pk], final_attempt=False) == [notification.pk]  # to be retried
    assert notifications_deliver([notification.pk], final_attempt=False) == []
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    key = idempotency_key(notification)
    sent = [
        aliyun_params(r).get("OutId") or json.loads(r["body"] or "{}").get("SessionContext") for r in fake_api.requests
    ]
    assert sent == [key, key]  # the same key on both attempts
