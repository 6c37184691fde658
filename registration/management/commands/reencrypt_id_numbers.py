"""Rotate the ID-number keys: every stored number encrypted again under the first key of ID_NUMBER_ENCRYPTION_KEYS,
and its keyed hash computed again with ID_NUMBER_HASH_KEY (docs/RELIABILITY.md, "Keys", gives the order).

Resumable: a row already encrypted under the first key with the current hash is left alone (checking it costs one
decryption), so a run interrupted at any point is simply started again. Batches of --batch rows in primary-key order,
each one transaction that locks its rows (a member who changes their number meanwhile waits a few milliseconds
instead of being overwritten); progress is printed after each batch.
"""

import time

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registration import identity


class Command(BaseCommand):
    help = "Encrypt every stored ID number again under the first ID_NUMBER_ENCRYPTION_KEYS key and rehash it."
    # The start-up key check would refuse exactly the state this command repairs.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction (default 2000)")

    def handle(self, *args, batch, **options):
        identity._fernet.cache_clear()
        primary = Fernet(settings.ID_NUMBER_ENCRYPTION_KEYS[0])
        started = time.monotonic()
        for model in identity.protected_models():
            total = model.objects.count()
            seen = changed = 0
            last_pk = 0
            while True:
                with transaction.atomic():
                    rows = list(
                        model.objects.select_for_update()
                        .filter(pk__gt=last_pk)
                        .order_by("pk")
                        .only("pk", "id_number_encrypted", "id_number_hash")[:batch]
                    )
                    if not rows:
                        break
                    updated = [row for row in rows if self._refresh(row, primary)]
                    if updated:
                        model.objects.bulk_update(updated, ["id_number_encrypted", "id_number_hash"], batch_size=1000)
                last_pk = rows[-1].pk
                seen += len(rows)
                changed += len(updated)
                self.stdout.write(
                    f"{model._meta.label}: {seen:,}/{total:,} ({100 * seen // max(total, 1)}%), "
                    f"{changed:,} encrypted again, {time.monotonic() - started:.1f} s"
                )
            self.stdout.write(self.style.SUCCESS(f"{model._meta.label}: done, {changed:,} of {seen:,} rows changed"))

    @staticmethod
    def _refresh(row, primary) -> bool:
        """Bring one row to the current keys; False when it already is."""
        token = row.id_number_encrypted.encode()
        try:
            number = primary.decrypt(token).decode()
            current = True
        except InvalidToken:
            try:
                number = identity._fernet().decrypt(token).decode()
            except InvalidToken:
                raise CommandError(
                    f"{row._meta.label} {row.pk}: no key of ID_NUMBER_ENCRYPTION_KEYS decrypts it. Put the key it "
                    "was encrypted with back in the list (after the new one) and run the command again."
                ) from None
            current = False
        keyed_hash = identity.hash_id_number(number)
        if current and keyed_hash == row.id_number_hash:
            return False
        if not current:
            row.id_number_encrypted = primary.encrypt(number.encode()).decode()
        row.id_number_hash = keyed_hash
        return True
