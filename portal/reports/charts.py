"""The geometry of the reports' charts, drawn as inline SVG on the server (no
script, no outside library): horizontal bars of registered against the quota,
girls and boys side by side, and the line of applications over the days."""
from dataclasses import dataclass

BAR_WIDTH = 320  # px of the longest bar


@dataclass
class Bar:
    label: str
    seats: float  # px
    within: float
    over: float
    figures: object


def quota_bars(report, row_name):
    """One bar per row: the quota as the frame, registered within it filled, over it beyond."""
    longest = max([max(r.figures.seats, r.figures.registered) for r in report.rows] + [1])
    scale = BAR_WIDTH / longest
    return [Bar(label=row_name(report, row), seats=row.figures.seats * scale,
                within=row.figures.within_quota * scale, over=row.figures.over_quota * scale, figures=row.figures)
            for row in report.rows]


def share(part, whole, width=BAR_WIDTH):
    return width * part / whole if whole else 0


@dataclass
class Line:
    width: int
    height: int
    points: str  # "x,y x,y ..." for <polyline>
    top: int  # the value at the top of the frame
    first: object  # the first and last day, for the axis
    last: object


def progress_line(days, *, width=640, height=160):
    """The cumulative number of applications over the days."""
    if not days:
        return None
    top = max(max(day.cumulative for day in days), 1)
    step = width / max(len(days) - 1, 1)
    points = " ".join(f"{index * step:.1f},{height - height * day.cumulative / top:.1f}"
                      for index, day in enumerate(days))
    return Line(width=width, height=height, points=points, top=top, first=days[0].day, last=days[-1].day)


def day_bars(days, *, width=640, height=60):
    """[(x, bar width, bar height)] of the applications made each day."""
    if not days:
        return []
    top = max(max(day.new for day in days), 1)
    step = width / len(days)
    return [(index * step, max(step - 1, 1), height * day.new / top, day) for index, day in enumerate(days)]
