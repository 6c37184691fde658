from tests.accounts.support import commit_now, sms_outbox  # noqa: F401  (fixtures of this folder's tests)
