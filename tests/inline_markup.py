"""Markup the Content-Security-Policy refuses: code and styles written into the page instead of static files.

One finder for the template scan and the rendered pages of tests/test_csp.py and tests/test_admin.py.
"""

import re

_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
# A script with src runs a static file; a JSON data block (json_script) is never executed.
_EXTERNAL_OR_DATA = re.compile(r"""\bsrc\s*=|\btype\s*=\s*["']?application/(ld\+)?json\b""", re.I)
_RULES = {
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"""(?<=[\s"'])style\s*=""", re.I),
    "event handler attribute": re.compile(r"(?<=\s)on[a-z]{3,}\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    # htmx evaluates these as code: refused by allowEval=false (base.html) and by a policy without 'unsafe-eval'.
    "htmx code attribute": re.compile(r"""(?<=\s)(data-)?hx-(on|vars)\b|["']js:""", re.I),
}


def find_inline_markup(text: str) -> list[tuple[int, str, str]]:
    """(line number, what, the line) for each piece of inline code or style in `text`, in order."""
    hits = [(match.start(), "inline <script>") for match in _SCRIPT_TAG.finditer(text)]
    hits = [(start, what) for start, what in hits if not _EXTERNAL_OR_DATA.search(_SCRIPT_TAG.match(text, start)[1])]
    hits += [(match.start(), what) for what, rule in _RULES.items() for match in rule.finditer(text)]
    lines = text.splitlines()
    found = []
    for start, what in sorted(hits):
        number = text.count("\n", 0, start) + 1
        found.append((number, what, lines[number - 1].strip()[:160]))
    return found
