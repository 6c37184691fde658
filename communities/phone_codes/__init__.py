"""One-time SMS codes that prove a person holds a phone: one home for every flow that needs one (registration, a
change of phone, a forgotten password, logging in with a code, lifting a lock, a resident's request raised from a
community's public page). See codes.py."""
