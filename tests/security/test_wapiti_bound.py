"""The wapiti scan's bound (scripts/wapiti_scan.py, issue 19): a module still attacking after its time is moved past
with wapiti's own answer to an interrupt, and the reports' findings are merged once each. The stand-in below speaks
wapiti 3.0.4's protocol: it prints "[*] Launching module <name>", and on SIGINT reads an answer from its input
("n": next module)."""

import sys
import textwrap

from scripts import wapiti_scan

STAND_IN = textwrap.dedent(
    """
    import signal, sys, time
    stopped = []
    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, interrupted)
    for module, seconds in (("slow", 60), ("quick", 0)):
        print("[*] Launching module " + module, flush=True)
        try:
            time.sleep(seconds)
        except KeyboardInterrupt:
            answer = input("? ").strip()
            assert answer == "n", answer
            stopped.append(module)
    print("stopped: " + ",".join(stopped), flush=True)
    """
)


def test_a_module_past_its_time_is_moved_past_and_the_scan_ends(tmp_path):
    log = tmp_path / "log"
    cut_off = wapiti_scan.run_bounded([sys.executable, "-c", STAND_IN], log=log, attack_time=2, bound=30)
    assert cut_off == ["slow"]
    assert "stopped: slow" in log.read_text()


def test_a_process_past_its_whole_bound_is_killed_and_fails(tmp_path):
    forever = "import time\nwhile True: time.sleep(1)"
    try:
        wapiti_scan.run_bounded([sys.executable, "-c", forever], log=tmp_path / "log", attack_time=1, bound=3)
    except RuntimeError as error:
        assert "outlived its bound" in str(error)
    else:
        raise AssertionError("a process past its bound was not stopped")


def test_findings_repeated_by_later_reports_are_kept_once():
    union = {"vulnerabilities": {}, "anomalies": {}}
    finding = {"method": "GET", "path": "/find/", "info": "x", "level": 1}
    wapiti_scan.merge(union, {"vulnerabilities": {"Cross Site Scripting": [finding]}, "anomalies": {}})
    wapiti_scan.merge(union, {"vulnerabilities": {"Cross Site Scripting": [finding], "SQL Injection": []},
                              "anomalies": {"Internal Server Error": [finding]}})
    assert union["vulnerabilities"] == {"Cross Site Scripting": [finding], "SQL Injection": []}
    assert union["anomalies"] == {"Internal Server Error": [finding]}
