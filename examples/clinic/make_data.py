"""Synthetic, seeded export of a dental & family-medicine clinic chain (Linden Family Clinics).

Run once from the repository root; its output is committed and the same run always writes the
same bytes:

    .venv/bin/python examples/clinic/make_data.py [output folder, default examples/clinic/data]

Writes
  data/visits.csv     the practice system's invoice-line export: UTF-8 with BOM, ',' separated,
                      English headers, visit date as dd/mm/yyyy hh:mm, '.' decimals, one row per line
  data/patients.xlsx  the patient register, sheet "Patients": Patient ID, Sex (F/M), Date of birth,
                      District

The model, in brief
  * Four clinics in one city; Westpark opens on 3 April 2023. 13 doctors (the `manager` column),
    each in one clinic. Sunday and public holidays closed, Saturday short.
  * A daily intensity curve (September and January–March peaks, July–August dip, Monday–Thursday
    strongest) drives every date: patients' gaps are drawn in "operational time" and mapped back to
    the calendar through the cumulative intensity, so the season shapes repeat visits as well as
    first visits.
  * Each patient follows one journey: a dental treatment course (visits every 30–60 days, then
    6-monthly hygiene check-ups), hygiene only, family medicine episodes, paediatrics,
    orthodontics (monthly adjustments for 1–2 years), implants, or a single visit. The chance to
    come back grows with every check-up (loyalty build-up) and depends a little on the doctor.
  * Prices rise about 4% every January. About 3% of invoices are counter sales with no patient,
    about 1% of visits get a credit note (a negative line) a few days later, and 5 draft invoices
    have no visit date (the reader quarantines them).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

SEED = 20241231
START = dt.date(2022, 1, 1)
END = dt.date(2024, 12, 31)
N_PATIENTS = 6_000
WESTPARK_OPENS = dt.date(2023, 4, 3)
HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------

# service → (service group, item type, 2022 unit price in EUR, cost share of the price)
SERVICES: dict[str, tuple[str, str, float, float]] = {
    "Dental check-up": ("Consultation", "main", 55, 0.30),
    "GP consultation": ("Consultation", "main", 70, 0.35),
    "Specialist consultation": ("Consultation", "main", 95, 0.30),
    "Professional cleaning": ("Hygiene", "main", 95, 0.38),
    "Composite filling": ("Therapy", "main", 130, 0.42),
    "Root canal treatment": ("Therapy", "main", 420, 0.40),
    "Braces fitting": ("Orthodontics", "main", 1900, 0.55),
    "Braces adjustment": ("Orthodontics", "main", 140, 0.35),
    "Aligner stage": ("Orthodontics", "main", 390, 0.60),
    "Implant placement": ("Implants", "main", 1350, 0.58),
    "Implant crown": ("Implants", "main", 950, 0.62),
    "Blood panel": ("Diagnostics", "main", 48, 0.50),
    "Abdominal ultrasound": ("Diagnostics", "main", 85, 0.30),
    "ECG": ("Diagnostics", "main", 40, 0.30),
    "Paediatric visit": ("Paediatrics", "main", 60, 0.35),
    "Vaccination": ("Paediatrics", "main", 45, 0.70),
    "Dental X-ray": ("Imaging", "add-on", 25, 0.20),
    "Panoramic X-ray": ("Imaging", "add-on", 60, 0.22),
    "3D CT scan": ("Imaging", "add-on", 150, 0.25),
    "Home-care kit": ("Home care", "add-on", 28, 0.55),
    "Brush heads (4)": ("Home care", "add-on", 18, 0.60),
    "Local anaesthesia": ("Anaesthesia", "add-on", 30, 0.30),
    "Fluoride varnish": ("Prevention", "add-on", 30, 0.25),
    "Lab test add-on": ("Lab tests", "add-on", 22, 0.55),
}
PRICE_RISE = 0.04  # every January

# doctor → (clinic, role, retention factor: multiplies every chance to come back)
DOCTORS: dict[str, tuple[str, str, float]] = {
    "Dr A. Novak": ("Centre", "dentist", 1.04),
    "Dr M. Hansen": ("Centre", "hygienist", 1.10),
    "Dr J. Keller": ("Centre", "gp", 1.00),
    "Dr S. Brandt": ("Centre", "orthodontist", 1.00),
    "Dr C. Moreau": ("Riverside", "dentist", 0.90),
    "Dr E. Lindqvist": ("Riverside", "implantologist", 1.00),
    "Dr T. Fischer": ("Riverside", "gp", 0.93),
    "Dr L. Rossi": ("Riverside", "paediatrician", 1.06),
    "Dr K. Weber": ("North", "dentist", 1.00),
    "Dr P. Costa": ("North", "gp", 0.88),
    "Dr H. Jansen": ("North", "paediatrician", 1.00),
    "Dr I. Petrov": ("Westpark", "dentist", 1.05),
    "Dr R. Silva": ("Westpark", "gp", 1.02),
}
CLINICS = ("Centre", "Riverside", "North", "Westpark")
CLINIC_SHARE_BEFORE = np.array([0.39, 0.34, 0.27, 0.0])
CLINIC_SHARE_AFTER = np.array([0.31, 0.27, 0.21, 0.21])
DISTRICTS = {  # home clinic → districts its patients live in (weights)
    "Centre": (("Old Town", 0.5), ("University", 0.3), ("Harbour", 0.2)),
    "Riverside": (("Riverside", 0.6), ("Harbour", 0.25), ("Old Town", 0.15)),
    "North": (("North Hills", 0.7), ("University", 0.3)),
    "Westpark": (("Westpark", 0.75), ("North Hills", 0.25)),
}
JOURNEYS = {"dental": 0.37, "hygiene": 0.06, "gp": 0.25, "paediatric": 0.12, "ortho": 0.05, "implant": 0.04,
            "single": 0.11}

MONTH_FACTOR = np.array([1.12, 1.16, 1.12, 1.00, 0.95, 0.85, 0.68, 0.70, 1.32, 1.12, 1.02, 0.80])
WEEKDAY_FACTOR = np.array([1.15, 1.10, 1.05, 1.05, 0.95, 0.50, 0.0])  # Monday … Sunday (closed)
HOLIDAYS = {(1, 1), (12, 24), (12, 25), (12, 26), (12, 31)}
HEADER = ["Patient ID", "Invoice No", "Visit date", "Service", "Service group", "Item type", "Clinic", "Doctor",
          "Qty", "Unit price", "Line total", "Cost"]


# ---------------------------------------------------------------------------------------------
# Calendar: intensity per day and operational time
# ---------------------------------------------------------------------------------------------

DAYS = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]


def _intensity() -> np.ndarray:
    out = np.array([MONTH_FACTOR[d.month - 1] * WEEKDAY_FACTOR[d.weekday()] for d in DAYS])
    out[[i for i, d in enumerate(DAYS) if (d.month, d.day) in HOLIDAYS]] = 0.0
    return out / out.mean()


INTENSITY = _intensity()
CUMULATIVE = np.cumsum(INTENSITY)  # operational time at the end of each day


def day_of(op_time: float) -> int | None:
    """Calendar day index whose operational-time interval holds op_time; None past the end."""
    i = int(np.searchsorted(CUMULATIVE, op_time, side="left"))
    return i if i < len(DAYS) else None


# ---------------------------------------------------------------------------------------------
# Patients and their journeys
# ---------------------------------------------------------------------------------------------

@dataclass
class Visit:
    op_time: float
    doctor: str
    lines: list[tuple[str, int]]  # (service, qty)


def gap(rng: np.random.Generator, mean: float, sd: float) -> float:
    """A gamma-distributed gap in operational days."""
    shape = (mean / sd) ** 2
    return float(rng.gamma(shape, mean / shape))


def staff(clinic: str, role: str) -> str:
    """The doctor of a role in a clinic (roles a clinic lacks go to the nearest one that has it)."""
    fallback = {"paediatrician": {"Centre": "Riverside", "Westpark": "North"},
                "hygienist": {}, "orthodontist": {}, "implantologist": {}}
    for name, (home, kind, _) in DOCTORS.items():
        if kind == role and home == fallback.get(role, {}).get(clinic, clinic):
            return name
    return next(name for name, (_, kind, _) in DOCTORS.items() if kind == role)


class Journey:
    """Builds one patient's visits in operational time until the data ends or the patient leaves."""

    def __init__(self, rng: np.random.Generator, clinic: str, start: float):
        self.rng, self.clinic, self.t = rng, clinic, start
        self.visits: list[Visit] = []
        self.end = CUMULATIVE[-1]

    def chance(self, p: float, doctor: str) -> bool:
        return self.rng.random() < min(0.97, p * DOCTORS[doctor][2])

    def add(self, doctor: str, lines: list[tuple[str, int]], after: float = 0.0) -> bool:
        self.t += after
        if self.t > self.end:
            return False
        self.visits.append(Visit(self.t, doctor, [line for line in lines if line[1]]))
        return True

    def maybe(self, p: float, service: str, qty: int = 1) -> tuple[str, int]:
        return (service, qty if self.rng.random() < p else 0)

    # -- building blocks ----------------------------------------------------------------------
    def course(self, visits: int, dentist: str) -> bool:
        """Therapy visits every 30–60 days; a few patients abandon the plan."""
        for _ in range(visits):
            if self.rng.random() < 0.07:
                return False
            filling = ("Composite filling", int(self.rng.integers(1, 4)))
            main = ("Root canal treatment", 1) if self.rng.random() < 0.18 else filling
            if not self.add(dentist, [main, self.maybe(0.65, "Local anaesthesia"), self.maybe(0.35, "Dental X-ray")],
                            gap(self.rng, 44, 12)):
                return False
        return True

    def checkups(self, enter: float, first_gap: float = 180) -> None:
        """6-monthly hygiene check-ups; the chance to come back grows with each one."""
        hygienist = staff(self.clinic, "hygienist") if self.clinic == "Centre" else None
        dentist = staff(self.clinic, "dentist")
        p, after = enter, first_gap
        for j in range(40):
            who = hygienist if hygienist and self.rng.random() < 0.75 else dentist
            if not self.chance(p, who):
                return
            lines = [("Professional cleaning", 1), self.maybe(0.7, "Dental check-up"),
                     self.maybe(0.28, "Home-care kit"), self.maybe(0.12, "Brush heads (4)"),
                     self.maybe(0.15, "Fluoride varnish"), self.maybe(0.22, "Dental X-ray")]
            if not self.add(who, lines, gap(self.rng, after, 25)):
                return
            if self.rng.random() < 0.10 and not self.course(int(self.rng.integers(1, 3)), dentist):
                return
            p, after = min(0.93, 0.80 + 0.03 * (j + 1)), 180

    # -- journeys -----------------------------------------------------------------------------
    def dental(self) -> None:
        dentist = staff(self.clinic, "dentist")
        self.add(dentist, [("Dental check-up", 1), self.maybe(0.8, "Dental X-ray", int(self.rng.integers(1, 3))),
                           self.maybe(0.25, "Professional cleaning")])
        n = 1 + int(self.rng.poisson(1.9)) if self.rng.random() < 0.92 else 0
        if self.course(n, dentist):
            self.checkups(0.72)

    def hygiene(self) -> None:
        who = staff(self.clinic, "hygienist") if self.clinic == "Centre" else staff(self.clinic, "dentist")
        self.add(who, [("Professional cleaning", 1), self.maybe(0.4, "Home-care kit"),
                       self.maybe(0.3, "Fluoride varnish")])
        self.checkups(0.70)

    def gp(self) -> None:
        """Family medicine: a check-up or an illness, then follow-ups every 30–60 days while it is managed
        (longer for chronic patients), then the next episode months later."""
        doctor = staff(self.clinic, "gp")
        p_next, chronic = 0.60, self.rng.random() < 0.35
        for episode in range(30):
            if not self.add(doctor, [("GP consultation", 1), self.maybe(0.55, "Lab test add-on")]):
                return
            follow = 1 + int(self.rng.poisson(2.5 if chronic else 0.6)) if self.rng.random() < 0.8 else 0
            for _ in range(follow):
                test = ["Blood panel", "Abdominal ultrasound", "ECG"][int(self.rng.choice(3, p=[0.55, 0.25, 0.2]))]
                if not self.add(doctor, [(test, 1), self.maybe(0.6, "GP consultation")], gap(self.rng, 42, 12)):
                    return
            if not self.chance(p_next, doctor):
                return
            self.t += gap(self.rng, 150, 50)
            p_next = min(0.88, p_next + 0.06)

    def paediatric(self) -> None:
        doctor = staff(self.clinic, "paediatrician")
        p = 0.80
        self.add(doctor, [("Paediatric visit", 1), self.maybe(0.45, "Vaccination")])
        for _ in range(40):
            if not self.chance(p, doctor):
                return
            main = ("Vaccination", 1) if self.rng.random() < 0.3 else ("Paediatric visit", 1)
            if not self.add(doctor, [main, self.maybe(0.2, "Lab test add-on")], gap(self.rng, 60, 20)):
                return
            p = min(0.93, p + 0.03)

    def ortho(self) -> None:
        doctor = staff(self.clinic, "orthodontist")
        self.add(doctor, [("Specialist consultation", 1), ("Panoramic X-ray", 1)])
        if self.rng.random() > 0.70:
            return
        aligners = self.rng.random() < 0.4
        fitting = ("Aligner stage", 1) if aligners else ("Braces fitting", 1)
        if not self.add(doctor, [fitting, self.maybe(0.5, "Home-care kit")], gap(self.rng, 35, 10)):
            return
        for _ in range(int(self.rng.integers(10, 22))):
            if self.rng.random() < 0.015:
                return
            step = ("Aligner stage", 1) if aligners else ("Braces adjustment", 1)
            if not self.add(doctor, [step, self.maybe(0.1, "Brush heads (4)")], gap(self.rng, 42, 9)):
                return
        self.checkups(0.8)

    def implant(self) -> None:
        doctor = staff(self.clinic, "implantologist")
        self.add(doctor, [("Specialist consultation", 1), ("3D CT scan", 1)])
        if self.rng.random() > 0.72:
            return
        if not self.add(doctor, [("Implant placement", int(self.rng.choice([1, 1, 1, 2]))), ("Local anaesthesia", 1)],
                        gap(self.rng, 35, 10)):
            return
        if self.add(doctor, [("Implant crown", 1), ("Dental X-ray", 1)], gap(self.rng, 110, 20)):
            self.checkups(0.8)

    def single(self) -> None:
        kind = self.rng.choice(3, p=[0.5, 0.3, 0.2])
        if kind == 0:
            self.add(staff(self.clinic, "gp"), [("GP consultation", 1), self.maybe(0.3, "Lab test add-on")])
        elif kind == 1:
            self.add(staff(self.clinic, "dentist"), [("Dental check-up", 1), self.maybe(0.6, "Dental X-ray")])
        else:
            self.add(staff(self.clinic, "gp"), [("Blood panel", 1), self.maybe(0.4, "ECG")])


def first_days(rng: np.random.Generator) -> np.ndarray:
    """Day index of each patient's first visit: the intensity curve × slow growth × Westpark's opening."""
    years = np.arange(len(DAYS)) / 365.25
    opened = np.array([d >= WESTPARK_OPENS for d in DAYS])
    weight = INTENSITY * (1 + 0.08 * years) * np.where(opened, 1.18, 1.0)
    return np.sort(rng.choice(len(DAYS), size=N_PATIENTS, p=weight / weight.sum()))


def home_clinic(rng: np.random.Generator, day: int) -> str:
    share = CLINIC_SHARE_AFTER if DAYS[day] >= WESTPARK_OPENS else CLINIC_SHARE_BEFORE
    return CLINICS[int(rng.choice(4, p=share))]


def patient_profile(rng: np.random.Generator, journey: str, clinic: str, first: dt.date) -> dict:
    ages = {"paediatric": (1, 15), "ortho": (11, 38), "implant": (38, 78)}
    low, high = ages.get(journey, (18, 82))
    age = float(np.clip(rng.normal(42, 15), low, high)) if journey not in ages else rng.uniform(low, high)
    born = first - dt.timedelta(days=int(age * 365.25))
    districts, weights = zip(*DISTRICTS[clinic])
    return {"Sex": "F" if rng.random() < (0.5 if journey == "paediatric" else 0.58) else "M",
            "Date of birth": born, "District": districts[int(rng.choice(len(districts), p=weights))]}


def simulate(rng: np.random.Generator) -> tuple[list[tuple], list[dict]]:
    """(patient id or None, day index, doctor, lines) per visit, and the patient register."""
    visits: list[tuple] = []
    patients: list[dict] = []
    names, weights = zip(*JOURNEYS.items())
    for number, day in enumerate(first_days(rng), start=1):
        pid = f"P{number:05d}"
        clinic = home_clinic(rng, int(day))
        kind = names[int(rng.choice(len(names), p=weights))]
        start = CUMULATIVE[day] - INTENSITY[day] * rng.random()
        journey = Journey(rng, clinic, start)
        getattr(journey, kind)()
        patients.append({"Patient ID": pid, **patient_profile(rng, kind, clinic, DAYS[int(day)])})
        for visit in journey.visits:
            index = day_of(visit.op_time)
            if index is not None and (DOCTORS[visit.doctor][0] != "Westpark" or DAYS[index] >= WESTPARK_OPENS):
                visits.append((pid, index, visit.doctor, visit.lines))
    return visits + counter_sales(rng), patients


def counter_sales(rng: np.random.Generator) -> list[tuple]:
    """Home-care products sold at reception to people who do not give a patient ID."""
    days = rng.choice(len(DAYS), size=900, p=INTENSITY / INTENSITY.sum())
    out = []
    for day in days:
        clinic = home_clinic(rng, int(day))
        item = "Home-care kit" if rng.random() < 0.6 else "Brush heads (4)"
        out.append((None, int(day), None, [(item, int(rng.integers(1, 3)))], clinic))
    return out


# ---------------------------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------------------------

def visit_time(rng: np.random.Generator, day: dt.date) -> dt.datetime:
    slots = 12 if day.weekday() == 5 else 24  # half-hour slots: Saturday 9:00–15:00, weekdays 8:00–20:00
    first = 9 if day.weekday() == 5 else 8
    slot = int(rng.integers(0, slots))
    return dt.datetime(day.year, day.month, day.day, first + slot // 2, 30 * (slot % 2))


def price(service: str, year: int) -> float:
    return round(SERVICES[service][2] * (1 + PRICE_RISE) ** (year - START.year) / 5) * 5 or 5.0


def invoice_lines(rng: np.random.Generator, visits: list[tuple]) -> list[dict]:
    """Rows of the export: invoices in time order, credit notes a few days after some visits."""
    stamped = []
    for visit in visits:
        pid, index, doctor, lines = visit[:4]
        clinic = visit[4] if len(visit) > 4 else DOCTORS[doctor][0]
        stamped.append((visit_time(rng, DAYS[index]), pid or "", clinic, doctor or "", lines))
    stamped.sort(key=lambda v: (v[0], v[1], v[2]))
    rows, credits = [], []
    for number, (when, pid, clinic, doctor, lines) in enumerate(stamped, start=1):
        invoice = f"INV{number:06d}"
        for service, qty in lines:
            rows.append(row(pid, invoice, when, service, clinic, doctor, qty, price(service, when.year)))
        if pid and rng.random() < 0.011:
            service, qty = lines[0]
            later = when + dt.timedelta(days=int(rng.integers(1, 15)), hours=int(rng.integers(0, 3)))
            if later.date() <= END and later.weekday() != 6:
                credits.append((later, pid, clinic, doctor, service, qty, price(service, when.year)))
    for number, (when, pid, clinic, doctor, service, qty, unit) in enumerate(sorted(credits), start=1):
        rows.append(row(pid, f"CN{number:05d}", when, service, clinic, doctor, -qty, unit, refund=True))
    rows.sort(key=lambda r: (r["_when"], r["Invoice No"]))
    return rows


def row(pid, invoice, when, service, clinic, doctor, qty, unit, refund=False) -> dict:
    group, kind, _, cost_share = SERVICES[service]
    return {"Patient ID": pid, "Invoice No": invoice, "Visit date": when.strftime("%d/%m/%Y %H:%M"),
            "Service": service, "Service group": group, "Item type": kind, "Clinic": clinic, "Doctor": doctor,
            "Qty": qty, "Unit price": f"{unit:.2f}", "Line total": f"{qty * unit:.2f}",
            "Cost": "0.00" if refund else f"{qty * unit * cost_share:.2f}", "_when": when}


def drafts(rows: list[dict]) -> list[dict]:
    """Five draft invoices the system exports without a visit date (real exports have such rows)."""
    out = []
    for k, source in enumerate(rows[5000::9000][:5]):
        out.append({**source, "Invoice No": f"DRAFT{k + 1:03d}", "Visit date": ""})
    return out


def write_visits(rows: list[dict], path: Path) -> None:
    frame = pl.DataFrame([{k: v for k, v in r.items() if k != "_when"} for r in rows], schema=HEADER,
                         orient="row", infer_schema_length=None)
    blank = pl.all().cast(pl.String)
    text = frame.select(pl.when(blank != "").then(blank)).write_csv(null_value="")  # empty cells, not ""
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))


def write_patients(patients: list[dict], path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"default_date_format": "dd/mm/yyyy"})
    workbook.set_properties({"title": "Patient register", "author": "Linden Family Clinics",
                             "created": dt.datetime(2025, 1, 6, 9, 0, 0)})
    sheet = workbook.add_worksheet("Patients")
    bold = workbook.add_format({"bold": True})
    for col, name in enumerate(("Patient ID", "Sex", "Date of birth", "District")):
        sheet.write(0, col, name, bold)
    for r, p in enumerate(patients, start=1):
        sheet.write_string(r, 0, p["Patient ID"])
        sheet.write_string(r, 1, p["Sex"])
        sheet.write_datetime(r, 2, dt.datetime.combine(p["Date of birth"], dt.time()))
        sheet.write_string(r, 3, p["District"])
    sheet.set_column(0, 3, 14)
    workbook.close()


def main(folder: Path = HERE / "data") -> None:
    """Simulate the chain and write both files into folder (default: data/ beside this script)."""
    rng = np.random.default_rng(SEED)
    visits, patients = simulate(rng)
    rows = invoice_lines(rng, visits)
    rows = rows + drafts(rows)
    folder.mkdir(parents=True, exist_ok=True)
    write_visits(rows, folder / "visits.csv")
    write_patients(patients, folder / "patients.xlsx")
    print(f"{len(rows)} lines, {len({r['Invoice No'] for r in rows})} invoices, {len(patients)} patients")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "data")
