"""Years (and months) that a date takes from its context, as an archivist reads them.

`pipeline.dates` reads one date expression at a time: "29 мая" alone is `XXXX-05-29`, and
"29 мая того же года" gets a year only when the earlier date is in the same stretch of text it
reads (one language span of one page). This pass runs over a whole document's entities, pages in
order, and fills the year where the text makes it safe to:

- `same_year` / `next_year`: the words say so: "того же года", "в том же году", "сол жылғы"
  (the year of the last date before it, wherever it stands in the document); "следующего года",
  "келесі жылы" (that year + 1);
- `same_month`: "20-го того же месяца", "сол айдың 20-сында": the day of the last month named;
- `running_account`: a bare "20 декабря" in a running account (a protocol, a memoir, one list
  entry) belongs to the year of the nearest date before it in the same paragraph, when nothing
  between them starts a new entry or a new person, that date is not a birth year and names no
  later day of the year (after "в ноябре 1937 г." a "20 января" is more likely 1938: left open);
- `heading`: in a protocol or an act, a bare date of the heading's own month, on or before its day,
  is of the heading's year ("ПРОТОКОЛ ДОПРОСА ... 12 мая 1938 г." ... "арестована 10 мая").

Anything else keeps `XXXX`: a wrong year in an archive's index is worse than none. The entity's
text stays as written (an anaphor right beside it joins its span, as `pipeline.dates` does);
only `normalized` gains the year, and `confidence` drops to say the year is an inference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Optional

from pipeline import dates
from pipeline.model import Entity, Page

__all__ = ["Anchor", "Context", "Carried", "RULES", "FINDERS", "with_years"]

# Evidence of a span on its page: (mean OCR confidence, bbox); `entities._ocr_evidence` in the pipeline.
Evidence = Callable[[Page, int, int], tuple[float, Optional[list]]]

_SAME = r"(?:того\s+же|этого(?:\s+же)?|сего|текущего)"
_NEXT = r"(?:следующего|будущего)"
_KK_YEAR_FORM = r"жыл(?:ы|ғы|гы|дың|дын)"
ANAPHOR_AFTER = re.compile(rf"\s+(?:(?P<same>{_SAME})|(?P<next>{_NEXT}))\s+года(?!\w)", re.I)
ANAPHOR_BEFORE = re.compile(
    rf"(?<!\w)(?:(?P<same>(?:сол|осы)\s+{_KK_YEAR_FORM}|(?:том\s+же|этом(?:\s+же)?)\s+году)"
    rf"|(?P<next>(?:келесі|келесi|келер)\s+{_KK_YEAR_FORM}|(?:следующем|будущем)\s+году)),?\s+$", re.I)
RU_MONTH_WORD = re.compile(rf"(?<!\w){dates.RU_MONTH}", re.I)
KK_MONTH_WORD = re.compile(rf"(?<!\w){dates.KK_MONTH_BARE}(?:[^\W\d_]{{0,7}})(?:\s+а[йи][^\W\d_]{{0,5}})?(?!\w)",
                           re.I)
SAME_MONTH_RU = re.compile(r"(?<![\w.,/])(?P<day>[0-3]?\d)(?:-?(?:го|е|ое))?\s+(?:числа\s+)?"
                           rf"{_SAME}\s+месяца(?!\w)", re.I)
SAME_MONTH_KK = re.compile(r"(?<!\w)(?:сол|осы)\s+айдың\s+(?P<day>[0-3]?\d)(?:-?[^\W\d_]{0,6})?(?!\w)", re.I)
# A birth year anchors no running account: "Иванова, 1901 г.р." is not the year of the next day named.
BIRTH = re.compile(r"(?:[гr]\.?\s?р\.|г/р|рожд|родил|туған|туыл)", re.I)
BIRTH_AFTER = re.compile(r"[\s,]*(?:туған|туыл|рожд|г\.\s?р\.)", re.I)  # "1905 жылы туған"
# A new entry of a list: a numbered line or a bulleted/dashed line.
NEW_ENTRY = re.compile(r"\n[ \t]*(?:\d{1,3}[.)]|[-–—•*])[ \t]", re.I)
PARAGRAPH = re.compile(r"\n[ \t]*\n")
HEADING_WORDS = re.compile(r"(?<!\w)(?:протокол\w*|акт|акта|хаттама\w*|актісі)(?!\w)", re.I)
HEADING_CHARS = 300
_FULL = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_DATED = re.compile(r"(\d{4})(?:-(\d\d))?(?:-(\d\d))?")

CAP = {"same_year": 0.8, "next_year": 0.75, "same_month": 0.75, "running_account": 0.7, "heading": 0.6}


@dataclass(frozen=True)
class Anchor:
    """A date read so far, at its place in the document. `year` is None for a date that gives no one
    year (a span of years, a decade, an approximate year: it stops a running account) and for one
    still without its year (`open`: the words "того же года" look past it)."""

    where: tuple[int, int]  # (page index, start)
    end: int
    year: Optional[int]
    month: Optional[int]  # None for a year alone or a season
    day: Optional[int]
    birth: bool
    open: bool = False


@dataclass(frozen=True)
class Carried:
    value: str
    rule: str
    start: int
    end: int


@dataclass
class Context:
    """One document as the rules see it: page texts, entities, and the dated anchors read so far."""

    texts: list[str]
    entities: list[list[Entity]]
    anchors: list[Anchor]
    heading: Optional[Anchor]

    def last(self) -> Optional[Anchor]:
        """The date right before, whatever it gave."""
        return self.anchors[-1] if self.anchors else None

    def last_year(self) -> Optional[int]:
        """The year "того же года" means: the last date's that gave one, past those without a year;
        None when the last that gave any gave a span of years, a decade or an approximate year."""
        return next((a.year for a in reversed(self.anchors) if not a.open), None)

    def between(self, anchor: Anchor, page: int, start: int) -> str:
        """The text from the anchor's end to `start` on `page` (pages joined by a blank line unless
        the later page opens in lower case, the same sentence running on)."""
        a_page = anchor.where[0]
        if a_page == page:
            return self.texts[page][anchor.end:start]
        joined = [self.texts[a_page][anchor.end:]]
        for p in range(a_page + 1, page + 1):
            head = self.texts[p] if p < page else self.texts[p][:start]
            joined.append(" " if self.texts[p].lstrip()[:1].islower() else "\n\n")
            joined.append(head)
        return "".join(joined)

    def new_person_between(self, anchor: Anchor, page: int, start: int) -> bool:
        """A PERSON that opens a line or follows a ";" between the anchor and `start`: another
        entry of a list ("Иванова ..., арестована 12.08.1937; Петрова ..., 3 сентября")."""
        for p in range(anchor.where[0], page + 1):
            text = self.texts[p]
            for e in self.entities[p]:
                after_anchor = p > anchor.where[0] or e.start >= anchor.end
                if e.label != "PERSON" or not after_anchor or (p == page and e.start >= start):
                    continue
                lead = text[max(0, e.start - 12):e.start].rstrip(" \t")
                lead = re.sub(r"(?:\d{1,3}[.)]|[-–—•*])$", "", lead).rstrip(" \t")
                if not lead or lead.endswith((";", "\n")):
                    return True
        return False


def _anchor(value: Optional[str], page: int, entity: Entity, text: str) -> Optional[Anchor]:
    """The anchor an entity's value gives (with no year for XXXX, intervals, decades, approximations)."""
    m = _DATED.fullmatch(value or "")
    if not m:
        return Anchor((page, entity.start), entity.end, None, None, None, False, open=str(value).startswith("XXXX"))
    month = int(m[2]) if m[2] and int(m[2]) <= 12 else None  # 21..24 are seasons
    before = text[max(0, entity.start - 25):entity.start]
    birth = bool(BIRTH.search(entity.text) or BIRTH.search(before) or BIRTH_AFTER.match(text, entity.end))
    return Anchor((page, entity.start), entity.end, int(m[1]), month, int(m[3]) if m[3] else None, birth)


def _heading(texts: list[str], entities: list[list[Entity]]) -> Optional[Anchor]:
    """The full date in the heading of a protocol or an act (its first lines on its first page)."""
    if not texts or not HEADING_WORDS.search(texts[0][:120]):
        return None
    for e in sorted(entities[0], key=lambda e: e.start):
        if e.label == "DATE" and e.start < HEADING_CHARS and e.normalized and _FULL.fullmatch(e.normalized):
            return _anchor(e.normalized, 0, e, texts[0])
    return None


# --- rules for a date already found without its year ------------------------------------------
Rule = Callable[[Context, int, Entity, tuple[int, int]], Optional[Carried]]
RULES: list[tuple[str, Rule]] = []


def _rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES.append((name, fn))
        return fn
    return register


@_rule("explicit_year")
def _explicit_year(ctx: Context, page: int, e: Entity, md: tuple[int, int]) -> Optional[Carried]:
    """ "29 мая того же года", "10 июня следующего года", "сол жылғы 17 мамырда", "келесі жылы 3 наурызда"."""
    text = ctx.texts[page]
    after = ANAPHOR_AFTER.match(text, e.end)
    before = ANAPHOR_BEFORE.search(text, max(0, e.start - 30), e.start)
    found = after or before
    year = ctx.last_year()
    if not found or year is None:
        return None
    step = 1 if found["next"] else 0
    start, end = (before.start() if before else e.start), (after.end() if after else e.end)
    return Carried(_value(year + step, *md), "next_year" if step else "same_year", start, end)


@_rule("running_account")
def _running_account(ctx: Context, page: int, e: Entity, md: tuple[int, int]) -> Optional[Carried]:
    """A bare day and month after a dated one in the same paragraph or list entry."""
    anchor = ctx.last()
    if anchor is None or anchor.year is None or anchor.birth:
        return None
    gap = ctx.between(anchor, page, e.start)
    if PARAGRAPH.search(gap) or NEW_ENTRY.search(gap) or ctx.new_person_between(anchor, page, e.start):
        return None
    if anchor.month and (md[0], md[1]) < (anchor.month, anchor.day or 1):
        return None  # earlier in the year than the date before it: the next year, or an earlier one
    return Carried(_value(anchor.year, *md), "running_account", e.start, e.end)


@_rule("heading")
def _heading_month(ctx: Context, page: int, e: Entity, md: tuple[int, int]) -> Optional[Carried]:
    """A bare date of a protocol's own month, on or before its day, when no date came between."""
    head = ctx.heading
    if head is None or ctx.last() != head or md[0] != head.month or md[1] > (head.day or 0):
        return None
    return Carried(_value(head.year, *md), "heading", e.start, e.end)


def _value(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- finders of dates that only context makes dates ---------------------------------------------
Finder = Callable[[Context, int], list[tuple[int, int, str, str]]]  # (start, end, value, rule)
FINDERS: list[tuple[str, Finder]] = []


def _finder(name: str) -> Callable[[Finder], Finder]:
    def register(fn: Finder) -> Finder:
        FINDERS.append((name, fn))
        return fn
    return register


def _month_number(word: str) -> Optional[int]:
    """The month a month word names, read by `pipeline.dates` as the day-month "1 <word>"."""
    value = dates.normalize_date("1 " + word.split()[0])
    return int(value[5:7]) if value and value.startswith("XXXX-") else None


@_finder("month_of_year_anaphor")
def _month_of_anaphor(ctx: Context, page: int) -> list[tuple[int, int, str, str]]:
    """ "в мае того же года", "в марте следующего года", "келесі жылдың мамыр айында": a month whose
    year the words give as the last date's (or the one after it)."""
    text, out = ctx.texts[page], []
    for m in RU_MONTH_WORD.finditer(text):
        after = ANAPHOR_AFTER.match(text, m.end())
        if after:
            out.append((m.start(), after.end(), m.group(), "next_year" if after["next"] else "same_year"))
    for m in KK_MONTH_WORD.finditer(text):
        before = ANAPHOR_BEFORE.search(text, max(0, m.start() - 30), m.start())
        if before and not re.match(r"\s*\d", text[m.end():m.end() + 3]):
            out.append((before.start(), m.end(), m.group(), "next_year" if before["next"] else "same_year"))
    return [(s, e, w, rule) for s, e, w, rule in out if _month_number(w)]


@_finder("day_of_same_month")
def _day_of_same_month(ctx: Context, page: int) -> list[tuple[int, int, str, str]]:
    """ "20-го того же месяца", "15 числа сего месяца", "сол айдың 20-сында"."""
    text = ctx.texts[page]
    return [(m.start(), m.end(), m["day"], "same_month")
            for rx in (SAME_MONTH_RU, SAME_MONTH_KK) for m in rx.finditer(text)]


# --- the pass ---------------------------------------------------------------------------------

def with_years(pages: list[Page], found: list[list[Entity]], evidence: Evidence) -> list[list[Entity]]:
    """`found` (each page's entities, pages of one document in order) with the years context gives.

    Dates are read in document order; every date with a year, its own or a carried one, is the
    context of those after it. New entities are only the dates that context alone makes dates
    ("в мае того же года", "20-го того же месяца"); `evidence` gives their OCR confidence and box."""
    texts = [page.text for page in pages]
    out = [list(entities) for entities in found]
    ctx = Context(texts, out, [], _heading(texts, out))
    steps: list[tuple[int, int, int, object]] = []  # (page, start, order, entity index or new match)
    for p, entities in enumerate(out):
        taken = [(e.start, e.end) for e in entities]
        for i, e in enumerate(entities):
            if e.label == "DATE":
                steps.append((p, e.start, 0, i))
        for _, finder in FINDERS:
            for match in finder(ctx, p):
                if all(match[1] <= s or match[0] >= t for s, t in taken):
                    taken.append(match[:2])
                    steps.append((p, match[0], 1, match))
    for p, _, kind, item in sorted(steps, key=lambda s: s[:3]):
        if kind == 0:
            _resolve(ctx, p, item)
        else:
            _add(ctx, pages[p], p, item, evidence)
    return out


def _resolve(ctx: Context, page: int, index: int) -> None:
    """Carry a year into the `index`-th entity of `page` if a rule allows; note its anchor."""
    e = ctx.entities[page][index]
    value = e.normalized
    if value and value.startswith("XXXX-") and len(value) == 10:
        md = (int(value[5:7]), int(value[8:10]))
        for _, rule in RULES:
            carried = rule(ctx, page, e, md)
            if carried is None:
                continue
            if dates.impossible_day(carried.value):
                break  # "29 февраля" of a year without one: left open
            start, end = _widened(ctx, page, e, carried)
            e = replace(e, normalized=carried.value, start=start, end=end, text=ctx.texts[page][start:end],
                        confidence=round(min(e.confidence, CAP[carried.rule]), 4))
            ctx.entities[page][index] = e
            value = carried.value
            break
    ctx.anchors.append(_anchor(value, page, e, ctx.texts[page]))


def _widened(ctx: Context, page: int, e: Entity, carried: Carried) -> tuple[int, int]:
    """The span with its anaphor ("29 мая того же года"), unless that runs into another entity."""
    others = [o for o in ctx.entities[page] if o is not e]
    if any(o.start < carried.end and carried.start < o.end for o in others):
        return e.start, e.end
    return carried.start, carried.end


def _add(ctx: Context, page: Page, p: int, match: tuple[int, int, str, str], evidence: Evidence) -> None:
    """A new DATE for a finder's match, when an earlier date gives what it lacks."""
    start, end, word, rule = match
    if rule == "same_month":
        last = next((a for a in reversed(ctx.anchors) if not a.open), None)
        value = last and last.month and _value(last.year, last.month, int(word))
    else:
        year = ctx.last_year()
        value = year and f"{year + (rule == 'next_year'):04d}-{_month_number(word):02d}"
    if not value or dates.impossible_day(value):
        return
    lang = next((s.lang for s in page.language_spans if s.start <= start < s.end), None)
    lang = lang or ("kk" if rule != "same_month" and KK_MONTH_WORD.match(word) else "ru")
    ocr_conf, bbox = evidence(page, start, end)
    entity = Entity(label="DATE", text=page.text[start:end], start=start, end=end, lang=lang,
                    normalized=value, confidence=round(CAP[rule] * (0.5 + 0.5 * ocr_conf), 4), bbox=bbox)
    ctx.entities[p].append(entity)
    ctx.anchors.append(_anchor(value, p, entity, page.text))
