"""manage.py reconcile_ledger: prove the time bank's ledger (services/timebank/reconcile.py); exit 1 on any
finding."""

import datetime
import time

from django.core.management.base import BaseCommand

from services.timebank.reconcile import reconcile


class Command(BaseCommand):
    help = ("Prove the time bank's ledger: transfers sum to zero, balances equal movements, verified service "
            "credited exactly once, redemptions equal stock out. Exits 1 on any finding.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes", type=int, default=0,
            help="Leave records verified in the last N minutes to the crediting job (default 0: none).",
        )

    def handle(self, *args, grace_minutes: int, **options):
        started = time.monotonic()
        results = reconcile(grace=datetime.timedelta(minutes=grace_minutes))
        found = 0
        for check, findings in results.items():
            if findings:
                found += len(findings)
                self.stderr.write(self.style.ERROR(f"✗ {check}"))
                for finding in findings:
                    self.stderr.write(f"  - {finding}")
            else:
                self.stdout.write(f"✓ {check}")
        self.stdout.write(f"{time.monotonic() - started:.1f} s")
        if found:
            raise SystemExit(1)
