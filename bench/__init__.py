"""The province-scale benchmark (`make bench`, issue 8). Not part of the app or of CI; see docs/PERFORMANCE.md."""
