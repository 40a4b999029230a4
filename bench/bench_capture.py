"""Capture and the audit pack on real files: a year's calendar of 1,000 events (a weekly series among them,
invitations declined, all-day holidays, titles and organisers of real length) and 100 PDF certificates of
three layouts, captured into a workbook; and an audit pack of 200 activities with 50 evidence files (PDF
certificates and phone photos). Each is timed with its floor, interleaved in one run: reading the same
calendar with icalendar and recurring-ical-events alone, pdfplumber's text of the same certificates alone,
and the record report's PDF alone.

Run:  .venv/bin/python bench/bench_capture.py [--runs 3]

Prints min / median / max seconds per task, and the ratio of medians to its floor. The issue's goals: the
1,000 events and 100 certificates captured in under 10 s; the pack in under 5 s.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from bench_service import spread  # noqa: E402

WORDS = ("structural", "seismic", "design", "steel", "concrete", "foundations", "geotechnical", "bridge", "timber",
         "ethics", "codes", "update", "inspection", "retrofit", "modelling", "BIM", "drainage", "loads", "fatigue",
         "welding", "connections", "durability", "sustainability", "carbon", "masonry", "piles", "slopes")


def title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).capitalize()


def calendar_text(rng: random.Random, events: int = 1000) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", "X-WR-CALNAME:alex.morgan@example.org"]
    start = datetime(2026, 1, 5, 9, 0)
    series = 52                                   # one weekly series gives 52 occurrences
    lines += ["BEGIN:VEVENT", "UID:weekly@bench", "DTSTART:20260107T123000", "DTEND:20260107T130000",
              "RRULE:FREQ=WEEKLY;COUNT=52", "SUMMARY:Lunch & Learn: design office talks",
              "ORGANIZER;CN=Morgan Structural Engineers:mailto:office@example.org", "END:VEVENT"]
    for i in range(events - series):
        begin = start + timedelta(days=rng.randint(0, 355), hours=rng.randint(0, 8))
        minutes = rng.choice((30, 45, 60, 90, 120, 180))
        lines += ["BEGIN:VEVENT", f"UID:event-{i}@bench"]
        if i % 40 == 0:
            lines += [f"DTSTART;VALUE=DATE:{begin:%Y%m%d}", f"DTEND;VALUE=DATE:{begin + timedelta(days=1):%Y%m%d}",
                      "SUMMARY:Public holiday"]
        else:
            lines += [f"DTSTART:{begin:%Y%m%dT%H%M%S}", f"DTEND:{begin + timedelta(minutes=minutes):%Y%m%dT%H%M%S}",
                      f"SUMMARY:Webinar: {title(rng)}", f"LOCATION:{rng.choice(('Online', 'Room 4B', 'Leeds'))}",
                      f"ORGANIZER;CN={title(rng)[:40]}:mailto:events{i}@example.org",
                      f"ATTENDEE;PARTSTAT={'DECLINED' if i % 17 == 0 else 'ACCEPTED'}:mailto:alex.morgan@example.org"]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def certificates(folder: Path, rng: random.Random, n: int = 100) -> list[Path]:
    from certificates import LINKEDIN, NO_HOURS, PDH_ETHICS, write_pdf
    layouts = (PDH_ETHICS, LINKEDIN, NO_HOURS)
    made = []
    for i in range(n):
        html = layouts[i % 3]
        day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 360))
        html = (html.replace("Professional Ethics for Engineers: Case Studies", title(rng))
                .replace("Structural Steel Connections in Practice", title(rng))
                .replace("12 March 2026", f"{day.day} {day:%B %Y}").replace("Apr 20, 2026", f"{day:%b} {day.day}, 2026")
                .replace("5 May 2026", f"{day.day} {day:%B %Y}"))
        made.append(write_pdf(html, folder / f"certificate-{i:03d}.pdf"))
    return made


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import icalendar
    import pdfplumber
    import recurring_ical_events
    from click.testing import CliRunner
    from PIL import Image

    from addin.cli import cli
    from addin.record_report import report_data, report_pdf
    from addin.readiness import assess
    from addin.workbook.reader import read_workbook
    from conftest import fill_workbook

    rng = random.Random(7)
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ics = base / "calendar.ics"
        ics.write_text(calendar_text(rng), encoding="utf-8")
        (base / "certs").mkdir()
        certs = certificates(base / "certs", rng)
        # the pack: a 200-activity log, 50 of them with evidence (40 certificates, 10 phone photos)
        pack_log = base / "pack.xlsx"
        runner.invoke(cli, ["new", str(pack_log), "-p", "us-nc", "--year", "2026"])
        rows = [{"start_date": (date(2026, 1, 2) + timedelta(days=i % 360)).isoformat(), "title": title(rng),
                 "hours": rng.choice((1.0, 1.5, 2.0, 3.0)), "provider": title(rng)[:30],
                 "category": "Courses, seminars and workshops", "location": "Online",
                 "reflection": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 200)))} for i in range(200)]
        fill_workbook(pack_log, rows)
        for i in range(50):
            if i < 40:
                source = certs[i]
            else:
                source = base / f"photo-{i}.jpg"
                Image.effect_noise((1600, 1200), 60).convert("RGB").save(source, "JPEG", quality=85)
            runner.invoke(cli, ["evidence", "add", str(pack_log), str(10 + i * 4), str(source)])
        read = read_workbook(pack_log)
        record, profile = read.record, read.profile

        def capture() -> None:
            log = base / "capture.xlsx"
            log.unlink(missing_ok=True)
            for folder in base.glob("capture-evidence"):
                for p in folder.iterdir():
                    p.unlink()
            runner.invoke(cli, ["new", str(log), "-p", "us-nc", "--year", "2026"])
            res = runner.invoke(cli, ["capture", str(ics), *map(str, certs), str(log)])
            assert res.exit_code == 0, res.output

        def capture_floor() -> None:
            cal = icalendar.Calendar.from_ical(ics.read_bytes())
            list(recurring_ical_events.of(cal).between(date(2026, 1, 1), date(2027, 1, 1)))
            for c in certs:
                with pdfplumber.open(c) as pdf:
                    "".join(p.extract_text() or "" for p in pdf.pages)

        def pack() -> None:
            res = runner.invoke(cli, ["audit-pack", str(pack_log), "--out", str(base / "pack.pdf"), "--force"])
            assert res.exit_code == 0, res.output

        def pack_floor() -> None:
            result = assess(record, profile)
            report_pdf(report_data(record, profile, result))

        tasks = {"capture 1,000 events + 100 certificates": (capture, capture_floor, 10.0),
                 "audit pack, 200 activities + 50 files": (pack, pack_floor, 5.0)}
        print(f"{args.runs} runs each, task and floor interleaved; seconds (min / median / max)")
        for name, (task, floor, goal) in tasks.items():
            got: dict[str, list[float]] = {"task": [], "floor": []}
            for _ in range(args.runs):
                got["task"].append(timed(task))
                got["floor"].append(timed(floor))
            t, f = got["task"], got["floor"]
            ratio = statistics.median(t) / statistics.median(f)
            print(f"  {name:42} {spread(t)}   floor "
                  f"{spread(f)}   x{ratio:.2f}"
                  f"   goal < {goal:g} s: {'met' if max(t) < goal else 'MISSED'}")


if __name__ == "__main__":
    main()
