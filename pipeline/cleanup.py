"""The `testimony_cleanup` component: repairs of what news-trained models get wrong on archival pages.

Form labels taken for names, names cut in two, initials and surnames left out, a
place running into the next row of a form: each repair is a small function over
spaCy spans (here, in `pipeline.boundaries` for what morphology decides, and in
`pipeline.kazakh_names` / `pipeline.name_repair`), and `EntityCleanup` applies
them in order to each entity the model proposed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline import boundaries, forms, kazakh_names, name_repair
from pipeline.names import GIVEN_NAMES, LEADING_ROLES, SURNAME_END, UPPER as _UP
from pipeline.normalize import TITLES, CachedMorph, is_patronymic, kk_strip_case


# Words that NER models take for names on these documents: the "Родины" of
# "изменника Родины", form labels ("Отчество", "Конец срока"), Kazakh "хат" (letter).
NOT_NAMES = {
    "родина", "родины", "родине", "родину", "родин", "отв", "конец", "начало", "срок", "срока", "фамилия",
    "имя", "отчество", "местожительство", "национальность", "профессия", "вопрос", "ответ",
    "лагерь", "лагеря", "лагерьде", "лагерьге", "лагерьден", "лагерьдегі", "хат", "хатты", "хатыңды",
    "статья", "ст", "дело", "выписка", "справка", "особого", "особое", "особым", "совещание",
    "совещания", "совещанием", "совеща",
}
# Charges and kinds of place, not bodies: "ЧСИР" (member of a traitor's family), "СОЭ"
# (socially dangerous element), a bare "ИТЛ" (a labour camp, unnamed)...
NOT_ORGS = {"итл", "лагерь", "чсир", "соэ", "сопэ", "кра", "крд", "кртд", "кро", "пш", "шпионаж", "ксир",
            "зк", "з/к", "з/к-", "тк"}  # "ЗК": a prisoner (заключённый), on his card's heading
_WORDS = re.compile(r"[^\W\d_]+")
# Headings and words of the document's own frame that models take for names or bodies.
FRAME_WORDS = {
    "справка", "постановили", "слушали", "выписка", "протокол", "протокола", "копия", "верна", "нач",
    "анықтама", "анықтамасы", "мұрағат", "мұрағаттық", "восемь", "пять", "десять", "три", "сегіз",
    # the kind of document a heading names
    "свидетельство", "удостоверение", "постановление", "приговор", "заключение", "ходатайство", "заявление",
    "анкета", "характеристика", "акт", "определение", "куәлік", "қаулы", "үкім",
}


# doc.user_data key: False where the text came from a PDF's text layer (no OCR errors to mend);
# a doc made without it (a direct call) is taken to be OCR text.
OCR_TEXT = "testimony_ocr_text"


@dataclass(frozen=True)
class _Page:
    """What every repair of one doc reads: its text, whether it is Russian, whether it is all lower case."""

    text: str
    russian: bool
    uncased: bool


class EntityCleanup:
    """Repairs for what the news-trained models get wrong on archival pages.

    Drops PERSON/PLACE spans that start with a lower-case letter or hold a form
    label, drops charges taken for bodies ("ЧСИР"), completes names with their
    initials ("Тоқтарова К. С.") or with the surname before a given name and
    patronymic ("4. Берзинь Анна Яновна"), and joins a name the model cut in two
    ("Тоқтарова" + "Күләш Сәрсенқызы") when only a space or a line break
    separates the parts.
    """

    def __init__(self, morph: Optional[CachedMorph] = None):
        self._morph = morph
        self.counts = None  # normalize.WordCounts, shared by build_pipeline: picks among mended names

    @property
    def morph(self) -> CachedMorph:
        if self._morph is None:  # built alone rather than by build_pipeline, which shares one
            self._morph = CachedMorph()
        return self._morph

    @morph.setter
    def morph(self, morph: CachedMorph) -> None:
        self._morph = morph

    def __call__(self, doc: Doc) -> Doc:
        text = boundaries.doc_text(doc)  # spaCy builds Doc.text anew on every access
        page = _Page(text, doc.lang_ == "ru", _uncased(text))
        ents: list[Span] = []
        found = [part for ent in doc.ents for part in boundaries.split_at_bracket(ent)]
        for ent in boundaries.join_double_surnames(found):
            ent = self._bounded(ent, page)
            ent = ent and self._labelled(ent, page)
            if ent is not None and ent.label_ == "PERSON":
                ent = self._person(ent, ents, page)
            if ent is None:
                continue
            if ents and ent.label_ == "PERSON" == ents[-1].label_ and (
                    _joinable(text, ents[-1], ent) or _given_name_between(text, ents[-1], ent)
                    or boundaries.double_surname(text, ents[-1], ent)):
                ents[-1] = Span(doc, ents[-1].start, ent.end, label="PERSON")
                continue
            if ents and ents[-1].end > ent.start:
                continue  # the name before grew over it
            ents.append(ent)
        doc.ents = self._document_passes(doc, ents, page)
        return doc

    def _bounded(self, ent: Span, page: "_Page") -> Optional[Span]:
        """Where the entity ends: one form cell, one line of a form, no verb, no frame word."""
        ent = _within_one_cell(ent)
        if ent is not None and page.russian:  # read with the Russian dictionary (pipeline.boundaries)
            ent = boundaries.cut_at_line_end(self.morph, ent)
            ent = ent and boundaries.without_trailing_predicate(self.morph, ent)
            ent = ent and boundaries.without_trailing_type_word(self.morph, ent)
            if ent is not None and (boundaries.is_lone_predicate(self.morph, ent)
                                    or boundaries.is_common_word(self.morph, ent)):
                return None
            ent = ent and boundaries.as_organisation(self.morph, ent)
        if ent is not None and ent.label_ == "PERSON" and "\n" in ent.text:
            ent = self._cut_at_line_break(ent)  # first: "А. П. Котляревский\n\nЯ" is no stray letter
        if ent is None:
            return None
        ent = boundaries.as_person(ent)
        if boundaries.is_street_name(ent):
            return None
        if ent.label_ in ("PERSON", "PLACE"):
            ent = _without_edge_words(ent, NOT_NAMES)  # "Родины Тухачевского" -> "Тухачевского"
            if ent is None or not (ent.text[:1].isupper() or page.uncased) or \
                    any(w.lower() in NOT_NAMES for w in _WORDS.findall(ent.text)):
                return None
        if ent.label_ == "ORG" and ent.text.lower().strip(" .") in NOT_ORGS:
            return None
        ent = boundaries.with_party_bracket(ent)  # "ВКП(б" + ")"
        if ent.label_ != "DATE":
            ent = _without_frame_words(ent)
            if ent is None or not any(len(w) > 1 for w in _WORDS.findall(ent.text)):
                return None  # "В-Г" (a list's letters), "Р. Д.": no word of a name
            if ent.label_ == "PERSON" and _stray_letter(page.text, ent):
                return None  # "Р дина", "Е Нач": OCR debris, not initials
        return ent

    @staticmethod
    def _labelled(ent: Span, page: "_Page") -> Optional[Span]:
        """The label the words decide: a role word off a name's front, a given name is a person, a
        neuter adjective or a card's given-name field none, "Г. Житомир" a town."""
        doc = ent.doc
        if len(ent) > 1 and ent[0].lower_ in LEADING_ROLES and ent.label_ == "PERSON" \
                and not _given_name_not_title(ent):
            ent = Span(doc, ent.start + 1, ent.end, label="PERSON")
        if ent.label_ == "PERSON" and doc.lang_ == "kk":
            ent = kazakh_names.without_leading_role(ent)  # "Біз Бибігүл ...", "Тергеуші Айгүл ..."
            if ent is None:
                return None
            ent = kazakh_names.with_last_part(ent)  # "Мұсабаева" + "Қалиманың"
        if ent.label_ != "PERSON" and len(ent) == 1 and (kk_strip_case(ent.text).lower() in GIVEN_NAMES
                                                          or _after_kinship_word(ent)):
            ent = Span(doc, ent.start, ent.end, label="PERSON")  # "Зейнеп", "анам Бибіжамал": no place
        if ent.label_ == "PERSON" and len(ent) == 1 and _NEUTER_ADJECTIVE.search(ent.text):
            return None  # "Акмолинское" (отделение): no name is a neuter adjective
        if ent.label_ == "PERSON" and _town_not_initial(ent):
            ent = Span(doc, ent.start, ent.end, label="PLACE")  # "Место рождения Г. Житомир"
        if ent.label_ == "PERSON" and _in_given_name_field(ent):
            return None
        return ent

    def _person(self, ent: Span, ents: list[Span], page: "_Page") -> Optional[Span]:
        """A name grown to its given name, initials, surname or first surname; None when it runs into
        an entity kept before that is no person."""
        doc = ent.doc
        if page.russian:
            ent = self._with_given_name(ent, ents)
        ent = self._with_surname(doc, page.text, _with_initials(doc, page.text, ent))
        ent = self._with_first_surname(ent, ents) if page.russian else ent
        if ents and ents[-1].end > ent.start:
            if ents[-1].label_ != "PERSON":
                return None
            ent = Span(doc, ents.pop().start, ent.end, label="PERSON")  # grew into it: one name
        return ent

    def _document_passes(self, doc: Doc, ents: list[Span], page: "_Page") -> list[Span]:
        """What needs the whole page: card fields, dictionary places, genitive dependents, list rows,
        names and towns OCR broke (Russian); names a patronymic marks (Kazakh)."""
        if page.russian:
            ents = boundaries.dictionary_places(self.morph, doc, forms.surname_fields(doc, ents))
            ents = boundaries.join_genitive_dependents(self.morph, forms.places_in_row_columns(self.morph, doc, ents))
            if doc.user_data.get(OCR_TEXT, True):  # a text layer is what the typist typed: nothing to mend
                ents, mended = name_repair.with_mended_names(self.morph, doc, ents, self.counts)
                ents = name_repair.with_mended_places(self.morph, ents, mended, self.counts)
                doc.user_data["mended_names"] = mended
        return kazakh_names.names_by_patronymic(doc, ents) if doc.lang_ == "kk" else ents

    def _cut_at_line_break(self, ent: Span) -> Optional[Span]:
        """ "Т. Ж. Бекмаханов\n\nМ.П." and "Г. Оспанова\nГербовая печать": a name does not run on into
        the seal mark or the next line's first word, unless that word is itself a name."""
        doc = ent.doc
        for i in range(ent.start + 1, ent.end):
            if "\n" not in doc[i - 1].whitespace_ + doc[i].text and not doc[i].is_space:
                continue
            rest = [t for t in doc[i : ent.end] if not t.is_space]
            if not rest:
                return Span(doc, ent.start, i, label=ent.label_)
            paragraph = "\n\n" in doc[ent.start : i + 1].text or any(t.is_space and t.text.count("\n") > 1
                                                                       for t in doc[ent.start : i + 1])
            first = rest[0].text
            name_like = bool(_INITIAL_TOKEN.match(first)) and first.upper() not in ("М.П.", "М.")
            if not name_like and first.isalpha():
                tags = {g for parse in self.morph.parse(first.lower()) for g in ("Name", "Surn", "Patr")
                        if g in parse.tag} if self.morph.word_is_known(first.lower()) else {"Surn"}
                name_like = bool(tags) or is_patronymic(first)
            if paragraph or not name_like:
                end = i
                while end > ent.start and doc[end - 1].is_space:
                    end -= 1
                return Span(doc, ent.start, end, label=ent.label_) if end > ent.start else None
        return ent

    def _with_given_name(self, ent: Span, ents: list[Span]) -> Span:
        """A name that starts with its patronymic takes the given name before it ("с Ханой
        Лазаревной Фурман"), also when the model tagged that word alone (as a place: Ханой)."""
        given = boundaries.given_name_before(self.morph, ent, is_patronymic(ent[0].text))
        return self._grown_back(ent, ents, given)

    def _with_first_surname(self, ent: Span, ents: list[Span]) -> Span:
        """The first half of a double surname before a dash ("Рахимова–Исаева Халима"), or a double
        surname the model took for a place right before given name and patronymic ("Гринберг-Шацкая"
        + "Эмма Исааковна")."""
        first = boundaries.surname_before_dash(ent)
        if first is None and ents and ents[-1].label_ == "PLACE":
            first = boundaries.surname_place_before(ents[-1], ent)
        return self._grown_back(ent, ents, first)

    @staticmethod
    def _grown_back(ent: Span, ents: list[Span], start: Optional[int]) -> Span:
        """`ent` grown back to token `start`, taking the entity kept there if it lies wholly inside."""
        if start is None or ent.doc[start].lower_ in NOT_NAMES | TITLES:
            return ent
        if ents and ents[-1].end > start:
            if ents[-1].start < start:
                return ent  # part of a longer entity: leave both
            ents.pop()
        return Span(ent.doc, start, ent.end, label="PERSON")

    def _with_surname(self, doc: Doc, text: str, ent: Span) -> Span:
        """Given name + patronymic right after a capitalised word that can only be a surname."""
        words = _WORDS.findall(ent.text)
        if len(words) != 2 or not is_patronymic(words[1]) or ent.start == 0:
            return ent
        before = doc[ent.start - 1]
        if not (before.is_alpha and before.is_title and len(before) > 2) or before.lower_ in NOT_NAMES | TITLES \
                or before.lower_ in LEADING_ROLES or kazakh_names.is_role_word(before.text):  # "Әкем Жақып Бекұлы"
            return ent
        if text[before.idx + len(before) : ent.start_char] != " ":
            return ent
        if doc.lang_ == "kk" and not SURNAME_END.search(before.lower_):
            return ent  # a Kazakh word before a name is a surname only in the -ов/-ин form
        if self.morph.word_is_known(before.lower_):
            tags = {g for p in self.morph.parse(before.lower_) for g in ("Surn",) if g in p.tag}
            if not tags:
                return ent  # a dictionary word ("Гражданка", "Бригадир"), not a surname
        return Span(doc, ent.start - 1, ent.end, label="PERSON")


@Language.factory("testimony_cleanup")
def make_entity_cleanup(nlp: Language, name: str) -> EntityCleanup:
    return EntityCleanup()


_GIVEN_NAME_FIELDS = {"имя", "отчество"}


def _uncased(text: str) -> bool:
    """A text typed all in lower case (under 1 % of its letters capitals)."""
    letters = sum(ch.isalpha() for ch in text)
    return letters > 20 and sum(ch.isupper() for ch in text) < 0.01 * letters


def _in_given_name_field(ent: Span) -> bool:
    """ "Имя Ева" on a card with its own surname field: the conventions tag only the surname field
    (a combined "Имя, отчество Анна Петровна" field keeps its two words)."""
    words = [t for t in ent if t.is_alpha]
    i = ent.start - 1
    while i >= 0 and (ent.doc[i].is_space or ent.doc[i].text in (":", "\t")):
        i -= 1
    return len(words) == 1 and i >= 0 and ent.doc[i].lower_ in _GIVEN_NAME_FIELDS


def _after_kinship_word(ent: Span) -> bool:
    """ "анам Бибіжамал", "жары Гүлбахрам": right after a kinship word stands a person's name."""
    i = ent.start - 1
    while i >= 0 and ent.doc[i].is_space:  # a line break between them: "анам\nБибіжамал"
        i -= 1
    if i < 0:
        return False
    before = ent.doc[i]
    return before.lower_ in LEADING_ROLES and before.is_lower and ent[0].is_title


def _given_name_not_title(ent: Span) -> bool:
    """ "Азамат Нұрланов": a capitalised title word that is also a given name, before a lone
    surname, is the given name ("азамат Нұрланов Е." or "азамат Нұрланов Ерлан" is the title)."""
    words = [t for t in ent if t.is_alpha]
    return len(words) == 2 and ent[0].is_title and ent[0].lower_ in GIVEN_NAMES and "." not in ent.text


def _within_one_cell(ent: Span) -> Optional[Span]:
    """The part of `ent` in one cell of a form. OCR joins a form's cells with TABs (`ocr._assemble`:
    "Переведена на Спасски лагпуннт<TAB>пр. № 212"), and no name, place or body runs from one cell
    into the next. The first part that is more than a form label or a stray letter stays
    ("Г. Житомир<TAB>Национальность" -> "Г. Житомир"; "Фамилия<TAB>Иванова" -> "Иванова");
    None if no part is."""
    doc = ent.doc
    pieces, start = [], ent.start
    for i in range(ent.start, ent.end + 1):
        if i == ent.end or "\t" in doc[i].text:
            if i > start:
                pieces.append((start, i))
            start = i + 1
    if pieces == [(ent.start, ent.end)]:
        return ent
    for first, last in pieces:
        words = [w.lower() for w in _WORDS.findall(doc[first:last].text)]
        if sum(len(w) for w in words) >= 2 and not all(w in NOT_NAMES or w in FRAME_WORDS for w in words):
            return Span(doc, first, last, label=ent.label_)
    return None


def _without_frame_words(ent: Span) -> Optional[Span]:
    """Trim heading words off either end ("Алма-Ата СПРАВКА"); None when nothing else is left."""
    start, end = ent.start, ent.end
    while start < end and ent.doc[start].lower_ in FRAME_WORDS:
        start += 1
    while end > start and ent.doc[end - 1].lower_ in FRAME_WORDS:
        end -= 1
    if start == end:
        return None
    return ent if (start, end) == (ent.start, ent.end) else Span(ent.doc, start, end, label=ent.label_)


# Russian surnames take -ский/-ская, never the neuter -ское/-цкое of "Акмолинское отделение".
_NEUTER_ADJECTIVE = re.compile(r"[сц]кое$", re.I)
_PLACE_CUES = {"рождения", "жительства", "местожительство", "в", "во", "из", "уроженка", "уроженец", "уроженке",
               "уроженки", "уроженца", "проживала", "проживал", "проживает", "проживающая", "выбыла", "выбыл"}


def _town_not_initial(ent: Span) -> bool:
    """ "г. Житомир" after "Место рождения" or "в" is a town, not an initial and a surname."""
    first = ent[0].lower_
    if first not in ("г", "г.") or len(ent) < (3 if first == "г" else 2) or ent.start == 0:
        return False  # "г" "." "Житомир", or "Г." as one token
    before = ent.doc[ent.start - 1]
    if before.is_punct and ent.start > 1:
        before = ent.doc[ent.start - 2]
    return before.lower_ in _PLACE_CUES


def _without_edge_words(ent: Span, words: set) -> Optional[Span]:
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].lower_ in words or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].lower_ in words or doc[end - 1].is_punct and doc[end - 1].text != "."):
        end -= 1
    if start >= end:
        return None
    return ent if (start, end) == (ent.start, ent.end) else Span(doc, start, end, label=ent.label_)


def _stray_letter(text: str, ent: Span) -> bool:
    return any(len(t) == 1 and t.is_alpha and text[t.idx + 1 : t.idx + 2] != "." for t in ent)


def _joinable(text: str, left: Span, right: Span) -> bool:
    gap = text[left.end_char : right.start_char]
    complete = left.text.endswith(".")  # a name that ends in initials is whole
    # spaCy keeps a line break as a token of its own: only whitespace may lie between
    return gap in (" ", "\n", "") and not complete and len(left) + len(right) <= 6


def _given_name_between(text: str, left: Span, right: Span) -> bool:
    """ "Сәрсенбаев [Жиһанша] Өтегенұлы": surname and patronymic tagged, the given name between them not."""
    gap = text[left.end_char : right.start_char]
    return (len(left) == 1 and len(right) == 1 and is_patronymic(right.text.strip(",."))
            and bool(re.fullmatch(rf" [{_UP}][^\W\d_]+ ", gap)))


_INITIAL_TOKEN = re.compile(rf"^[{_UP}]\.")
_INITIALS_AFTER = re.compile(rf"^ ?[{_UP}]\. ?(?:[{_UP}]\.)?")
_INITIALS_BEFORE = re.compile(rf"[{_UP}]\. ?(?:[{_UP}]\. ?)?$")


def _with_initials(doc: Doc, text: str, ent: Span) -> Span:
    """A surname with the initials the model left out: "Тоқтарова К. С.", "И. Шапиро"."""
    start, end = ent.start_char, ent.end_char
    if re.search(rf" [{_UP}]$", ent.text) and text[end : end + 1] == ".":
        end += 1  # "Гордеева П. И" + "."
    if " " not in ent.text.strip() and ent.text[-1:] != ".":
        after = _INITIALS_AFTER.match(text[end : end + 6])
        if after:
            end += after.end()
        before = _INITIALS_BEFORE.search(text[max(0, start - 6) : start])
        if before and not after and (start - 6 + before.start() <= 0 or not text[start - 6 + before.start() - 1].isalpha()):
            start -= len(before.group(0))
    if (start, end) == (ent.start_char, ent.end_char):
        return ent
    return doc.char_span(start, end, label="PERSON", alignment_mode="expand") or ent
