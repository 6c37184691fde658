"""The demo build's progress lines: rows and database seconds per table, and each stage's time."""

import time


class Progress:
    def __init__(self, stdout):
        self.stdout = stdout
        self.started = self.phase_started = time.perf_counter()
        self.rows = {}  # table → rows written

    def say(self, text):
        self.stdout.write(text + "\n")

    def phase(self, label, writers=()):
        now = time.perf_counter()
        for writer in writers:
            self.rows[writer.table] = self.rows.get(writer.table, 0) + writer.count
            self.say(f"    {writer.table:<34}{writer.count:>11,} 行   写入数据库 {writer.seconds:6.1f} s")
        self.say(f"  {label}：{now - self.phase_started:.1f} s（累计 {now - self.started:.1f} s）")
        self.phase_started = now

    def elapsed(self) -> float:
        return time.perf_counter() - self.started
