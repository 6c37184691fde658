"""Rotate the ID-number keys: every stored number encrypted again under the first key of the configured cipher
(ID_NUMBER_CIPHER: the first of ID_NUMBER_ENCRYPTION_KEYS for Fernet, of ID_NUMBER_SM4_KEYS for SM4), and its keyed
hash computed again with ID_NUMBER_HASH_ALGORITHM and ID_NUMBER_HASH_KEY (docs/RELIABILITY.md, "Keys", gives the
order). A change of algorithm (Fernet to SM4, HMAC-SHA256 to HMAC-SM3, or back) is a rotation like a change of key:
every value is read with whichever configured key of either cipher encrypted it (registration.id_crypto).

Resumable: a row already encrypted under the first key with the current hash is left alone (checking it costs one
decryption), so a run interrupted at any point is simply started again. Batches of --batch rows in primary-key order,
each one transaction that locks its rows (a member who changes their number meanwhile waits a few milliseconds
instead of being overwritten); progress is printed after each batch.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from registration import id_crypto, identity


class Command(BaseCommand):
    help = "Encrypt every stored ID number again under the first key of the configured cipher and rehash it."
    # The start-up key check would refuse exactly the state this command repairs.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000, help="rows per transaction (default 2000)")

    def handle(self, *args, batch, **options):
        id_crypto.clear_caches()
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
                        .values_list("pk", "id_number_encrypted", "id_number_hash")[:batch]
                    )
                    if not rows:
                        break
                    updated = [change for row in rows if (change := self._refresh(model, row))]
                    if updated:
                        self._write(model, updated)
                last_pk = rows[-1][0]
                seen += len(rows)
                changed += len(updated)
                self.stdout.write(
                    f"{model._meta.label}: {seen:,}/{total:,} ({100 * seen // max(total, 1)}%), "
                    f"{changed:,} encrypted again, {time.monotonic() - started:.1f} s"
                )
            self.stdout.write(self.style.SUCCESS(f"{model._meta.label}: done, {changed:,} of {seen:,} rows changed"))

    @staticmethod
    def _refresh(model, row):
        """(pk, ciphertext, hash) of one row brought to the current cipher, keys and hash, or None when it is."""
        pk, encrypted, stored_hash = row
        try:
            number = id_crypto.decrypt(encrypted)
        except id_crypto.InvalidCiphertext:
            raise CommandError(
                f"{model._meta.label} {pk}: no key of ID_NUMBER_ENCRYPTION_KEYS or ID_NUMBER_SM4_KEYS decrypts it. Put "
                "the key it was encrypted with back in its list (after the new one) and run the command again."
            ) from None
        current = id_crypto.is_current(encrypted)
        keyed_hash = identity.hash_id_number(number)
        if current and keyed_hash == stored_hash:
            return None
        return pk, encrypted if current else id_crypto.encrypt(number), keyed_hash

    @staticmethod
    def _write(model, changes) -> None:
        """One UPDATE ... FROM (VALUES ...) on PostgreSQL (bulk_update's CASE over a thousand ids costs a hundred
        times more there); bulk_update elsewhere."""
        if connection.vendor != "postgresql":
            objects = [
                model(pk=pk, id_number_encrypted=encrypted, id_number_hash=keyed) for pk, encrypted, keyed in changes
            ]
            model.objects.bulk_update(objects, ["id_number_encrypted", "id_number_hash"], batch_size=500)
            return
        from psycopg2.extras import execute_values

        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        # Table and column names come from model metadata, quoted; every value goes as a parameter.
        sql = (
            f"UPDATE {table} SET id_number_encrypted = v.encrypted, id_number_hash = v.keyed "  # noqa: S608  # nosec B608
            f"FROM (VALUES %s) AS v(id, encrypted, keyed) WHERE {table}.{pk} = v.id"
        )
        with connection.cursor() as cursor:
            execute_values(
                cursor.cursor,
                sql,
                changes,
                page_size=1000,
            )
