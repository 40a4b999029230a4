"""Certificates as providers issue them, made for the tests: three PDF layouts (WeasyPrint, from HTML, as
many providers' systems make them) and an Open Badge baked into a PNG (Pillow's iTXt chunk, as the Open
Badges baking specification says), an Open Badges 3.0 credential and a baked SVG."""
from __future__ import annotations

import json
from pathlib import Path

PDH_ETHICS = """<html><body style="font-family: serif; text-align: center; margin: 3cm">
<h1>Certificate of Attendance</h1>
<p>This certifies that</p><h2>Alex Morgan, PE</h2>
<p>has attended the live webinar</p>
<h2>"Professional Ethics for Engineers: Case Studies"</h2>
<p>Provider: Carolina PDH Institute</p>
<p>Instructor: Dr. Jordan Price, PE</p>
<p>Date of completion: 12 March 2026</p>
<p>Credit awarded: 1.5 PDH</p>
<p>Subject area: Ethics</p>
</body></html>"""

LINKEDIN = """<html><body style="font-family: sans-serif; margin: 2cm">
<p style="font-size: 28pt">Certificate of Completion</p>
<p>Congratulations, Alex Morgan</p>
<p style="font-size: 22pt">Structural Steel Connections in Practice</p>
<p>Course completed on Apr 20, 2026 at 10:15AM UTC &#8226; 90 minutes</p>
<p>By continuing to learn, you have expanded your perspective, sharpened your skills, and made yourself even
more in demand.</p>
<p>Head of Content Strategy, Learning</p>
<p>LinkedIn Learning<br>1000 W Maude Ave<br>Sunnyvale, CA 94085</p>
<p>Certificate ID: AbCdEf123456</p>
</body></html>"""

NO_HOURS = """<html><body style="font-family: serif; margin: 3cm">
<h1>CERTIFICATE</h1>
<p>This is to certify that Alex Morgan took part in the</p>
<p>Event: Site visit to the Cape Fear River bridge replacement</p>
<p>Organised by: North Carolina Section of the Structural Engineers Association</p>
<p>Location: Wilmington, NC</p>
<p>Held on 5 May 2026.</p>
<p>This certificate records attendance only and does not carry CPD hours.</p>
</body></html>"""

BADGE_20 = {
    "@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "urn:uuid:2f1e7c7a-badge-0001",
    "recipient": {"type": "email", "hashed": False, "identity": "alex.morgan@example.org"},
    "issuedOn": "2026-06-15T09:00:00Z", "verification": {"type": "hosted"},
    "badge": {"type": "BadgeClass", "id": "https://badges.example.org/classes/bim-foundations",
              "name": "BIM Foundations", "description": "Awarded for completing the BIM Foundations learning path.",
              "criteria": {"narrative": "Complete the five modules and pass the assessment."},
              "issuer": {"type": "Profile", "id": "https://badges.example.org/issuer",
                         "name": "Digital Construction Academy"},
              "tags": ["BIM", "digital construction"]},
}

BADGE_30 = {
    "@context": ["https://www.w3.org/ns/credentials/v2",
                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:91537dba-56cb-11ec-bf63-0242ac130002", "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.org/issuers/565049", "type": ["Profile"], "name": "Bridge Engineering Society"},
    "validFrom": "2026-08-01T00:00:00Z", "name": "Bridge Inspection Essentials",
    "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
        "id": "https://example.org/achievements/bie", "type": ["Achievement"], "name": "Bridge Inspection Essentials",
        "description": "A two-day course on inspecting highway bridges, with ethics of reporting.",
        "criteria": {"narrative": "Attend both days and complete the field exercise."}, "creditsAvailable": 12}},
}


def write_pdf(html: str, path: Path) -> Path:
    from weasyprint import HTML
    HTML(string=html).write_pdf(path)
    return path


def write_baked_png(assertion: dict, path: Path, keyword: str = "openbadges") -> Path:
    from PIL import Image, PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_itxt(keyword, json.dumps(assertion))
    Image.new("RGB", (120, 120), (31, 78, 120)).save(path, pnginfo=info)
    return path


def write_baked_svg(assertion: dict, path: Path) -> Path:
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://openbadges.org" '
                    'width="120" height="120"><openbadges:assertion verify="https://badges.example.org/a/1">'
                    f'<![CDATA[{json.dumps(assertion)}]]></openbadges:assertion>'
                    '<circle cx="60" cy="60" r="50" fill="#1F4E78"/></svg>', encoding="utf-8")
    return path


def certificate_set(folder: Path) -> dict[str, Path]:
    """The acceptance's certificates: three PDF layouts and a baked Open Badge."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"ethics": write_pdf(PDH_ETHICS, folder / "ethics-webinar.pdf"),
            "linkedin": write_pdf(LINKEDIN, folder / "CertificateOfCompletion_Structural Steel.pdf"),
            "no_hours": write_pdf(NO_HOURS, folder / "site-visit.pdf"),
            "badge": write_baked_png(BADGE_20, folder / "bim-foundations.png")}
