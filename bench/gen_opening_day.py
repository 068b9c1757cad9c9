"""Generate the national opening-day folder (data-formats.md, "Import folder").

    python bench/gen_opening_day.py DIR [--families 300000] [--popular 0.03] [--crowding 10]

The national geography of bench/gen_national.py (about 2,200 schools,
1,000,000 addresses, microdistricts, grade statistics, staff, the campaign),
but instead of a random registry: `--families` families of one parent and
one child born within the campaign's birth range (2019-2020), each living in
the microdistrict of one participating school. A share `--popular` of the
schools is crowded: each gets `--crowding` times as many families as its
seats by R4; the other families are spread evenly over the rest. Deterministic
for a seed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

POPULAR_SHARE = 0.03
CROWDING = 10


def family_rows(rng, families, school_rows, school_addresses, seats, links, adults, adults_wanted, person,
                *, popular_share=POPULAR_SHARE, crowding=CROWDING):
    """Registry rows of the families; fills `links` and `adults` (for teachers.csv) on the way."""
    open_schools = [code for code, _, _ in school_rows if school_addresses.get(code)]
    popular = rng.sample(open_schools, max(1, round(len(open_schools) * popular_share)))
    targets = []
    for code in popular:
        targets.extend([code] * (crowding * seats.get(code, 25)))
    targets = targets[:families]
    rest = [code for code in open_schools if code not in set(popular)]
    targets.extend(rng.choice(rest) for _ in range(families - len(targets)))
    rng.shuffle(targets)
    for code in targets:
        address = f"A{rng.choice(school_addresses[code]):07d}"
        surname = rng.choice(("Усенов", "Токтогулов", "Бакиев", "Садыков", "Жумабаев", "Осмонов"))
        mother, row = person("F", rng.randint(1980, 1998), surname + "а", address)
        yield row
        child, row = person(rng.choice("MF"), rng.choice((2019, 2020)), surname, address)
        yield row
        links.append(f"{mother},{child},mother")
        if len(adults) < adults_wanted:
            adults.append(mother)


def main():
    from gen_national import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--families", type=int, default=300_000)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--popular", type=float, default=POPULAR_SHARE)
    parser.add_argument("--crowding", type=int, default=CROWDING)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    counts = generate(args.folder, addresses=args.addresses, families=args.families, seed=args.seed,
                      family_options={"popular_share": args.popular, "crowding": args.crowding})
    for name, n in counts.items():
        print(f"{name}: {n} rows")


if __name__ == "__main__":
    main()
