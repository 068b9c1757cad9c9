"""Generate a national-size import folder (data-formats.md, "Import folder").

    python bench/gen_national.py DIR [--addresses 1000000] [--persons 700000] [--seed 2026]

About 2,200 schools in the regions and districts of the Kyrgyz Republic, a
million addresses each in a school's microdistrict (a few in two, since
microdistricts may overlap), grade statistics for every school (some new
schools without 4th grades), families of parents and children in the local
registry with their links, a few thousand teachers, the staff and a
campaign. Deterministic for a seed; written line by line, so it takes
seconds and little memory.
"""
import argparse
import json
import os
import random

# Regions with their districts (rayons and city districts); codes in the sample's style.
REGIONS = {
    "GB": ("Бишкек шаары", "город Бишкек", ["LEN", "SVE", "OKT", "PER"]),
    "GO": ("Ош шаары", "город Ош", ["OSH"]),
    "CH": ("Чүй облусу", "Чуйская область",
           ["ALA", "SOK", "MOS", "JAY", "PAN", "KEM", "CHU", "YSY"]),
    "IK": ("Ысык-Көл облусу", "Иссык-Кульская область", ["AKS", "JTO", "IKL", "TON", "TUP", "KAR"]),
    "NA": ("Нарын облусу", "Нарынская область", ["ATB", "AKT", "JUM", "KOC", "NAR"]),
    "TL": ("Талас облусу", "Таласская область", ["BAK", "KAR", "MAN", "TAL"]),
    "JA": ("Жалал-Абад облусу", "Джалал-Абадская область",
           ["AKS", "ALA", "BAZ", "CHA", "NOO", "SUZ", "TOG", "TOK"]),
    "OS": ("Ош облусу", "Ошская область", ["ALA", "ARA", "CHA", "KAR", "KKU", "NOO", "UZG"]),
    "BA": ("Баткен облусу", "Баткенская область", ["BAT", "KAD", "LEY"]),
}
SETTLEMENTS = ["Бишкек", "Ош", "Токмок", "Кара-Балта", "Каракол", "Нарын", "Талас", "Жалал-Абад",
               "Баткен", "Өзгөн", "Кызыл-Кыя", "Сокулук", "Беловодское", "Кант", "Базар-Коргон"]
STREETS = ["Чүй проспекти", "Манас проспекти", "Ахунбаев көчөсү", "Токтогул көчөсү", "Исанов көчөсү",
           "Ленин көчөсү", "Масалиев проспекти", "Жибек Жолу", "Фрунзе көчөсү", "Киев көчөсү"]
MALE = ["Темирлан", "Эмир", "Нурсултан", "Айбек", "Бакыт", "Данияр", "Алихан", "Азамат"]
FEMALE = ["Салтанат", "Айгерим", "Чолпон", "Айпери", "Нурай", "Мээрим", "Асель", "Жибек"]
SURNAMES = ["Усенов", "Токтогулов", "Бакиев", "Садыков", "Жумабаев", "Абдыкадыров", "Осмонов"]


def districts():
    for region, (_, _, codes) in REGIONS.items():
        for code in codes:
            yield region, f"{region}-{code}"


def _language(rng, region):
    roll = rng.random()
    if region in ("GB", "CH", "IK") and roll < 0.35:
        return "ru"
    if region in ("GO", "OS", "JA") and roll < 0.15:
        return "uz"
    if region == "BA" and roll < 0.05:
        return "tj"
    return "ky"


def generate(folder, *, schools=2200, addresses=1_000_000, persons=700_000, teachers=5000, seed=2026,
             families=None, family_options=None):
    """Write the folder; returns the number of rows per file.

    `families` (the opening-day set, bench/gen_opening_day.py) replaces the
    random registry by that many families of one parent and one child of the
    campaign's birth range, crowded onto a few popular schools.
    """
    rng = random.Random(seed)
    os.makedirs(folder, exist_ok=True)
    counts = {}

    def write(name, header, rows):
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as out:
            out.write(header + "\n")
            n = 0
            for row in rows:
                out.write(row + "\n")
                n += 1
        counts[name] = n

    district_list = list(districts())
    write("regions.csv", "code,name_ky,name_ru",
          (f"{code},{ky},{ru}" for code, (ky, ru, _) in REGIONS.items()))
    write("districts.csv", "code,region_code,name_ky,name_ru",
          (f"{d},{r},{d} району,{d} район" for r, d in district_list))

    # Bishkek and Osh are denser: weight the districts so the schools are not even.
    weights = [3 if r in ("GB", "GO") else 1 for r, _ in district_list]
    school_rows = []  # (code, district, region)
    per_district = {d: [] for _, d in district_list}
    for n in range(1, schools + 1):
        region, district = rng.choices(district_list, weights)[0]
        code = f"{district}-{n:04d}"
        school_rows.append((code, district, region))
        per_district[district].append(code)
    ownership = lambda: rng.choices(["state", "municipal", "private"], [20, 75, 5])[0]  # noqa: E731
    closed = set()  # private schools that do not take part (§31)

    def school_lines():
        for code, district, _ in school_rows:
            own = ownership()
            street = f"{rng.choice(SETTLEMENTS)}, {rng.choice(STREETS)} {rng.randint(1, 300)}"
            takes_part = 0 if own == "private" and rng.random() < .5 else 1
            if not takes_part:
                closed.add(code)
            yield f'{code},{district},№{code[-4:]} мектеп,Школа №{code[-4:]},"{street}",{own},{takes_part}'
    write("schools.csv", "code,district_code,name_ky,name_ru,address,ownership,participates", school_lines())

    # Addresses: each belongs to a district with schools and lies in one school's microdistrict.
    served = [d for _, d in district_list if per_district[d]]
    address_school = []  # index -> school code, kept to write the microdistricts
    school_addresses = {}  # code -> a few of its own addresses, for the opening-day families

    def address_rows():
        for n in range(1, addresses + 1):
            district = served[n % len(served)]
            code = per_district[district][(n // len(served)) % len(per_district[district])]
            address_school.append(code)
            if n % 20 and len(school_addresses.setdefault(code, [])) < 32:  # not overlapping ones
                school_addresses[code].append(n)
            yield (f"A{n:07d},{district},{SETTLEMENTS[n % len(SETTLEMENTS)]},"
                   f"{STREETS[(n // 7) % len(STREETS)]},{n % 250 + 1}")
    write("addresses.csv", "address_id,district_code,settlement,street,house", address_rows())

    def microdistrict_rows():
        for n, code in enumerate(address_school, 1):
            yield f"{code},A{n:07d}"
            if n % 20 == 0:  # overlapping microdistricts: the neighbouring school too
                district = per_district[code[:6]]
                other = district[(district.index(code) + 1) % len(district)]
                if other != code:
                    yield f"{other},A{n:07d}"
    write("microdistricts.csv", "school_code,address_id", microdistrict_rows())
    address_school.clear()

    seats = {}  # code -> seats by R4 (25..42 per class-set), to crowd the popular schools

    def grade_rows():
        for code, _, region in school_rows:
            new_school = rng.random() < 0.03
            if not new_school:
                for no in range(1, rng.randint(1, 6) + 1):
                    language, pupils = _language(rng, region), rng.randint(12, 52)
                    seats[code] = seats.get(code, 0) + min(max(pupils, 25), 42)
                    yield f"{code},4,{no},{language},{pupils}"
            for no in range(1, rng.randint(1, 6) + 1):
                language, pupils = _language(rng, region), rng.randint(15, 45)
                if new_school:
                    seats[code] = seats.get(code, 0) + min(max(pupils, 25), 42)
                yield f"{code},1,{no},{language},{pupils}"
    write("grade_stats.csv", "school_code,grade,class_no,language,pupils", grade_rows())

    # Families: two parents and one to three children of school-entry age or around it.
    links, adults = [], []
    serial = iter(range(1, 10**9))

    def pin(sex, year):
        return f"{1 if sex == 'F' else 2}{year}{next(serial):09d}"

    def person(sex, year, surname, address):
        first = rng.choice(FEMALE if sex == "F" else MALE)
        born = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        the_pin = pin(sex, year)
        docs = 0 if rng.random() < 0.002 else 1
        return the_pin, f"{the_pin},{surname},{first},,{sex},{born},{address},{docs}"

    def person_rows():
        if families is not None:
            from gen_opening_day import family_rows
            taking_part = [row for row in school_rows if row[0] not in closed]
            yield from family_rows(rng, families, taking_part, school_addresses, seats, links, adults,
                                   teachers * 4, person, **(family_options or {}))
            return
        made = 0
        while made < persons:
            surname = rng.choice(SURNAMES)
            address = "" if rng.random() < 0.01 else f"A{rng.randint(1, addresses):07d}"
            mother, row = person("F", rng.randint(1975, 1998), surname + "а", address)
            yield row
            father, row = person("M", rng.randint(1972, 1996), surname, address)
            yield row
            made += 2
            if len(adults) < teachers * 4:
                adults.append(mother)
            for _ in range(rng.choice((1, 2, 2, 2, 3))):
                if made >= persons:
                    break
                child, row = person(rng.choice("MF"), rng.choice((2018, 2019, 2020, 2021)), surname, address)
                yield row
                made += 1
                links.append(f"{mother},{child},mother")
                links.append(f"{father},{child},father")
    write("registry_persons.csv",
          "pin,last_name,first_name,patronymic,sex,birth_date,address_id,has_documents", person_rows())
    write("registry_links.csv", "parent_pin,child_pin,relation", iter(links))
    links.clear()

    write("teachers.csv", "pin,school_code",
          (f"{adults[i * 4]},{school_rows[rng.randrange(len(school_rows))][0]}" for i in range(teachers)))

    def staff_rows():
        yield "ministry@example.kg,ministry,,Министрлик"
        for _, district in district_list:
            yield f"district.{district.lower()}@example.kg,district,{district},Адис {district}"
            yield f"commission.{district.lower()}@example.kg,commission,{district},БИК {district}"
        for code, _, _ in school_rows:
            yield f"director.{code.lower()}@example.kg,director,{code},Директор {code}"
    write("staff.csv", "email,role,scope,full_name", staff_rows())

    with open(os.path.join(folder, "campaign.json"), "w", encoding="utf-8") as out:
        json.dump({
            "year": "2026-2027", "birth_from": "2019-01-01", "birth_to": "2020-12-31",
            "stage1_opens": "2026-04-01T10:00:00+06:00", "stage2_opens": "2026-06-01T10:00:00+06:00",
            "registration_closes": "2026-08-31T18:00:00+06:00",
            "documents_from": "2026-08-04", "documents_until": "2026-09-05",
            "holidays": ["2026-03-08", "2026-03-21", "2026-05-01", "2026-05-09"],
            "categories": ["teacher", "twin"],
        }, out, ensure_ascii=False, indent=1)
    counts["campaign.json"] = 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--schools", type=int, default=2200)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=700_000)
    parser.add_argument("--teachers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    counts = generate(args.folder, schools=args.schools, addresses=args.addresses,
                      persons=args.persons, teachers=args.teachers, seed=args.seed)
    for name, n in counts.items():
        print(f"{name}: {n} rows")


if __name__ == "__main__":
    main()
