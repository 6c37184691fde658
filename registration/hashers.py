"""The password hash: Argon2id at the OWASP Password Storage Cheat Sheet's minimum (19 MiB, 2 passes, 1 lane).

Django's default PBKDF2 (1,000,000 iterations) costs about 200 ms of CPU per hash here, which caps registrations
near 10 a second on two cores; Django's own Argon2 defaults (100 MiB, 8 lanes) cost more still. Argon2id is
memory-hard, so its cost to an attacker with GPUs is far higher than the CPU time it costs us (about 20 ms).
Changing these numbers re-hashes each password at its owner's next login (Django's must_update).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
