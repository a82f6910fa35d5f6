"""Records: who a document is about, and what happened to them, with evidence.

Builds the contract's `persons` from a document's page texts and entities:

1. mentions of one person are grouped (case forms, initials, a given name alone,
   Russian and Kazakh spellings of one name, OCR slips of one letter);
2. the text is cut into sentences (form rows count as sentences), and in each
   sentence event words are found ("арестована", "осуждена", "тұтқындалды",
   "ақталды", form labels such as "Арестована 3.IX.1937");
3. every event word gets its person (the nearest mention that agrees in gender
   with a Russian participle, a pronoun or a kinship word that points back at a
   person, the person the text is about) and its date, place, organ, charge and
   term from the stretch of text it governs: after the word in Russian, before it
   in Kazakh, whose verbs come last;
4. births come from "1902 г.р.", "уроженка г. Вильно", "1908 жылы ... туған" and
   from "Год рождения" / "Место рождения" fields of registration cards.

Every value points at the entities it was read from (`evidence`). Two readings
that disagree are kept side by side, never merged into one.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from pipeline import dates
from pipeline.model import Document, Entity
from pipeline.names import LETTERS as _LETTERS, UPPER as _UPPER, is_pet_form
from pipeline.names import close as _close, edit_distance, fold, gender_of_parts, patronymic_stem as _patronymic_stem
from pipeline.names import surname_part as _surname_part
from pipeline.normalize import Normalizer

# --- lexicon ------------------------------------------------------------------------------
# Event words. A pattern is matched against the page text with the entities blanked out,
# so a name never triggers an event. Nouns are left out on purpose: "до ареста" (before
# the arrest) and "тұтқындалғанға дейін" are not arrests.
_RU_TRIGGERS = {
    "arrest": r"арестова(?:н|л)\w*|взят\w* под стражу|за \w+ пришли",
    "sentence": r"осужд[её]н(?!и)\w*|осудил\w*|приговор[её]н\w*|приговорил\w*|сослан\w*|выслан\w*|"
                # "заключить в ИТЛ", "в исправтрудлагерь", "в исправительно-трудовой лагерь" (OCR: "в ис
                # ровительно - трудовой\nлагерь")
                r"заключить\s+в\s+(?:[^\W\d_]*[\s\-–]+){0,5}?(?:\w*лагер\w*|ИТЛ)|подвергнуть \w+|расстрелять",
    "transfer": r"прибыл\w*|этапирован\w*|переведен\w*|переведён\w*|направлен\w*|отправлен\w*|отправили|"
                r"доставлен\w*|пришел в|пришёл в|пришла в|пришли в|поступил\w* в|отбывал\w*|отвезли|увезли",
    "release": r"освобожд[её]н(?!и)\w*|освободил\w*|вышл\w* на свободу|вышел на свободу",
    "death": r"умер(?:ла|ли)?|скончал\w*|погиб(?:ла|ли)?|расстрелян\w*|расстреляли|приведен\w* в исполнение|"
             r"приведён в исполнение",
    "rehabilitation": r"реабилитирован\w*|реабилитировал\w*",
    "residence": r"проживал\w*|проживающ\w*|проживавш\w*|жил[аи]?|живущ\w*|местожительство|"
                 r"место жительства|осталась|остался",
    "birth": r"родил(?:ась|ся)|уроженк\w*|уроженц\w*|уроженец",
    "review": r"пересмотрен\w*|прекращен\w*|отмен[её]н\w*",
}
_KK_TRIGGERS = {
    "arrest": r"тұтқындал\w*|тұтқынға алын\w*|қамауға алын\w*|қамалды|қамалып|ұсталды|ұсталып|алып кет\w*",
    "sentence": r"сотталд\w*|сотталған\w*|сотталып|соттады|кесіл\w*|жер аударыл\w*",
    "transfer": r"жіберіл\w*|жөнелтіл\w*|әкелін\w*|әкелді|жеткізіл\w*|ауыстырыл\w*|айдал\w*|өтеген|өтеді",
    "release": r"босатыл\w*|босады|бостандыққа шық\w*",
    "death": r"атылд\w*|атылған\w*|атылып|қайтыс бол\w*|қаза тап\w*|көз жұм\w*|дүние сал\w*",
    "rehabilitation": r"ақтал\w*",
    "residence": r"тұрған\w*|тұрды|тұрып|тұрады|тұратын|өмір сүр\w*|қалды",
    "birth": r"туған|туды|туылған|дүниеге кел\w*",
    "review": r"қайта қаралды|қайта қаралып|тоқтатылды",
}
# Verbs whose grammatical gender is the organ's, not the person's ("маму осудило
# Особое совещание"): their agreement says nothing about whom they are about.
_ACTIVE = re.compile(r"^(осудил|арестовал|освободил|реабилитировал|расстреляли|приговорил|отправили|заключить"
                     r"|подвергнуть|расстрелять|за |приведен|приведён|пришл|пришел|пришёл)", re.I)
# Operative part of a decision ("ПОСТАНОВИЛИ: ... заключить в исправтрудлагерь"): dated by the decision itself.
_DECISION = re.compile(r"^(заключить|подвергнуть|расстрелять)", re.I)
# After these, a verb describes a time before the event: "тұтқындалғанға дейін".
_BEFORE_WORDS = re.compile(r"^\s*(дейін|дейінгі|шейін)\b")
# Ordered, planned or expected: "мой срок кончается", "этапировать" are not events.

# Labels of registration cards and questionnaires, and what their value is.
_FORM_LABELS = {
    "фамилия имя отчество": "fio", "фамилия, имя, отчество": "fio", "ф. и. о.": "fio", "фио": "fio",
    "фамилия": "surname", "имя": "given", "отчество": "patronymic", "имя, отчество": "given_patronymic",
    "имя и отчество": "given_patronymic", "год рождения": "birth_date", "дата рождения": "birth_date",
    "время рождения": "birth_date", "место рождения": "birth_place", "местожительство": "residence",
    "место жительства": "residence", "адрес": "residence", "национальность": None, "профессия": None,
    "кем": None, "когда": None, "статья": "charge", "срок": "term", "начало срока": None,
    "конец срока": None, "откуда": None, "выбыла в": None, "выбыл в": None, "вопрос": None, "ответ": None,
    "тегі": "surname", "аты": "given", "әкесінің аты": "patronymic", "аты-жөні": "fio",
    "туған жылы": "birth_date", "туған жері": "birth_place", "мекенжайы": "residence",
    "тұрғылықты жері": "residence", "ұлты": None,
}
# Event labels of forms, matched with one OCR slip allowed ("Фсуждена", "Арестоваға").
_LONGEST_LABEL = max(map(len, _FORM_LABELS))
_FORM_EVENTS = {
    "арестована": "arrest", "арестован": "arrest", "осуждена": "sentence", "осужден": "sentence",
    "прибыла": "transfer", "прибыл": "transfer", "освобождена": "release", "освобожден": "release",
    "умерла": "death", "умер": "death", "реабилитирована": "rehabilitation", "реабилитирован": "rehabilitation",
    "тұтқындалды": "arrest", "сотталды": "sentence", "босатылды": "release", "ақталды": "rehabilitation",
    "местожительство": "residence",
}

# Kinship words: form -> (lemma, relation of the named person to the anchor person).
_KIN = {}
for _forms, _lemma, _rel in (
    ("мама мамы маме маму мамой мать матери матерью", "мать", "parent"),
    ("отец отца отцу отцом", "отец", "parent"),
    ("муж мужа мужу мужем", "муж", "spouse"),
    ("жена жены жене жену женой", "жена", "spouse"),
    ("дочь дочери дочерью", "дочь", "child"),
    ("сын сына сыну сыном", "сын", "child"),
    ("брат брата брату братом", "брат", "sibling"),
    ("сестра сестры сестре сестру сестрой", "сестра", "sibling"),
    ("тетя тети тёте тете тётя тёти", "тетя", "relative"),
    ("анам анасы анасын анасының анаң анамның шешем шешесі", "ана", "parent"),
    ("әкем әкесі әкесін әкесінің әкең әкеңнен әкемнің", "әке", "parent"),
    ("күйеуім күйеуі күйеуін күйеуінің күйеуіңнің күйеуімнің", "күйеу", "spouse"),
    ("әйелім әйелі әйелін әйелінің", "әйел", "spouse"),
    ("жұбайы жұбайым жұбайын жұбайының", "жұбай", "spouse"),
    ("ұлым ұлын ұлымның баласы", "ұл", "child"),
    ("қызым қызы қызын", "қыз", "child"),
    ("балалары балаларым", "бала", "child"),
    ("апам әпкесі інісі ағасы", "туыс", "relative"),
):
    for _form in _forms.split():
        _KIN[_form] = (_lemma, _rel)
_KK_KIN = {"ана", "әке", "күйеу", "әйел", "жұбай", "ұл", "қыз", "бала", "туыс"}
_INVERSE = {"parent": "child", "child": "parent", "spouse": "spouse", "sibling": "sibling", "relative": "relative"}
_FIRST_PERSON_POSSESSIVE = {"мой", "моя", "мою", "моего", "моей", "мои", "моих", "моему", "менің"}
_THIRD_PERSON_POSSESSIVE = {"ее", "её", "его", "их", "оның", "олардың"}

_PRONOUNS = {
    **{w: "f" for w in "она её ее ей ней неё нее".split()},
    **{w: "m" for w in "он его ему нем нём него".split()},
    **{w: None for w in "они их им ол оны оның оған онымен".split()},
}
_FIRST_PERSON = set("я меня мне мной мы нас нам мені маған менің менімен біз бізді бізге біздің".split())

_CHARGES = (
    (re.compile(r"ЧСИР|член\w* семьи изменника Родины|члена семьи изменника|Отанын сатқан\w*( адамның)? отбасы",
                re.I), "ЧСИР"),
    (re.compile(r"\bСОЭ\b|социально[- ]опасн\w+ элемент\w*"), "СОЭ"),
    (re.compile(r"\bСВЭ\b|социально[- ]вредн\w+ элемент\w*"), "СВЭ"),
    (re.compile(r"\bКРТД\b"), "КРТД"),
    (re.compile(r"\bКРД\b|контрреволюционн\w+ деятельност\w*"), "КРД"),
    (re.compile(r"\bАСА\b|антисоветск\w+ агитаци\w*"), "АСА"),
    (re.compile(r"\bПШ\b|подозрени\w+ в шпионаже"), "ПШ"),
)
_ARTICLE = re.compile(r"(?:[Сс]т\.|[Сс]тать\w+|[Бб]ап\w*)\s*(58[-–]?\s?\d+(?:\s*п\.\s*[«\"]?[а-я][»\"]?)?|\d{2,3}(?:[-–]\d+)?)")
_NUMBER_WORDS = {
    "один": 1, "одного": 1, "одному": 1, "два": 2, "двух": 2, "двум": 2, "три": 3, "трех": 3, "трём": 3, "трем": 3,
    "четыре": 4, "четырех": 4, "четырём": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7,
    "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9, "десять": 10, "десяти": 10, "пятнадцать": 15,
    "пятнадцати": 15, "двадцать": 20, "двадцати": 20, "двадцать пять": 25, "двадцати пяти": 25,
    "бір": 1, "екі": 2, "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7, "сегіз": 8, "тоғыз": 9, "он": 10,
    "он бес": 15, "жиырма": 20, "жиырма бес": 25,
}
_NUM = r"(\d{1,2}|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"
_TERMS = (
    # "на 8 лет ИТЛ", "к 8 (восьми) годам лишения свободы в ИТЛ"
    re.compile(r"(?:на|сроком на|к)\s+" + _NUM + r"(?:\s*\([^()\n]{1,20}\))?\s+(?:лет|годами|годам|года|год)(?!\w)"
               r"(?:\s+(?:ИТЛ|лагер\w+|ссылки|тюремного заключения|исправительно-трудовых лагерей"
               r"|лишения свободы(?:\s+в\s+ИТЛ)?))?", re.I),
    # "8 жылға", "8 жылға бас бостандығынан айыру" (deprivation of liberty); not the verb after it
    re.compile(_NUM + r"\s+жыл(?:ға|ғa)(?:\s+бас\s+бостандығынан\s+айыр\w*)?", re.I),
    re.compile(r"высш\w+ мер\w+ наказания|ВМН|ату жазасына", re.I),
)
_CAPITAL = re.compile(r"высш\w+ мер\w+|ВМН|ату жазас|расстрел", re.I)

_ORPHANAGE = re.compile(r"детск\w+\s+(?:дом|приемник|приёмник)\w*|балалар\s+үй\w*", re.I)
_NAME_WORD = re.compile(rf"[{_LETTERS}]\.|[{_LETTERS}][{_LETTERS}'’-]*[{_LETTERS}]")
_EARLIEST_EVENT_YEAR = 1905  # arrests, sentences, camps: a year before this is a misread date
_NOT_TOWNS = {"селе", "деревне", "городе", "поселке", "посёлке", "доме", "квартире", "семье", "бараке", "лагере",
              "ссылке", "заключении", "тюрьме", "том", "этом", "одной", "одном", "общежитии"}
_LAST_WORD = re.compile(rf"([{_LETTERS}#]+)$")
_PLURAL = re.compile(r"(ы|и|ли|лись)$", re.I)
_JOINED = re.compile(r"\s*(?:\([^)]*\)\s*)?(?:и|мен|және|,)\s*")
_ABBREVIATIONS = {"г", "гг", "ул", "д", "т", "ст", "тов", "им", "обл", "пос", "с", "отв", "гр", "ж", "жж", "кв",
                  "р", "см", "др", "пр", "проф", "акад", "и", "о", "тт", "нкв", "п", "ч", "л", "№", "ауд"}
_GENITIVE_KK = re.compile(r"(ның|нің|тың|тің|дың|дің)$")
_ABLATIVE_KK = re.compile(r"(дан|ден|тан|тен|нан|нен)$")


# --- plain data -----------------------------------------------------------------------------
@dataclass
class Mention:
    """A PERSON entity as a reference to somebody."""

    id: str
    page: int
    entity: Entity
    name: dict
    gender: Optional[str]


@dataclass
class Event:
    type: str
    date: Optional[str]
    place: Optional[str]
    evidence: list[str]
    extra: dict = field(default_factory=dict)  # organ, charge, term, term_years for sentences

    def as_dict(self) -> dict:
        out = {"type": self.type, "date": self.date, "place": self.place, "evidence": list(self.evidence)}
        out.update({k: v for k, v in self.extra.items() if v is not None})
        return out


@dataclass
class Person:
    index: int
    name: dict
    gender: Optional[str]
    mentions: list[Mention] = field(default_factory=list)
    first: tuple[int, int] = (0, 0)  # (page, offset) of the first mention, for numbering
    birth_dates: list[tuple[str, list[str]]] = field(default_factory=list)
    birth_places: list[tuple[str, list[str]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    relations: list[tuple[str, int]] = field(default_factory=list)
    form_sentence: dict = field(default_factory=dict)  # a card's Статья / Срок fields


@dataclass
class Referent:
    """Somewhere in the text that points at a person: a name, a kinship word, a pronoun."""

    page: int
    start: int
    end: int
    person: Optional[int]
    kind: str  # "name" | "kin" | "pronoun" | "self"
    genitive: bool = False  # "Рысқұловтың жұбайы": the owner, not the subject


@dataclass
class Trigger:
    page: int
    start: int
    end: int
    type: str
    word: str
    gender: Optional[str]
    lang: str


@dataclass
class Sentence:
    page: int
    start: int
    end: int
    lang: str
    form_line: bool = False


# --- small helpers ----------------------------------------------------------------------------
def name_gender(name: dict, normalizer: Optional[Normalizer] = None) -> Optional[str]:
    """Gender from the patronymic, the surname's ending or the given name; None when unknown."""
    found = gender_of_parts(name.get("surname"), name.get("given"), name.get("patronymic"))
    given = (name.get("given") or "").lower()
    if found or normalizer is None or len(given) <= 2 or given.endswith("."):
        return found
    genders = {("femn" if "femn" in p.tag else "masc" if "masc" in p.tag else None)
               for p in normalizer.morph.parse(given) if "Name" in p.tag}
    genders.discard(None)
    if len(genders) == 1:
        return "f" if genders.pop() == "femn" else "m"
    return None


def trigger_gender(word: str, lang: str) -> Optional[str]:
    """What a Russian participle or past tense says of its subject's gender ("арестована": a woman)."""
    w = word.lower().split()[0]
    if lang != "ru" or _ACTIVE.match(w):
        return None
    if re.search(r"(ы|и|ые|ых|ыми|ими|ли|лись)$", w):
        return None
    if re.search(r"(а|ая|ой|ей|ую|ась|ла)$", w):
        return "f"
    if re.search(r"(н|ен|ён|ый|ий|ого|его|ому|ему|ым|им|ся|л|р)$", w):
        return "m"
    return None


def _compatible(gender_a: Optional[str], gender_b: Optional[str]) -> bool:
    return gender_a is None or gender_b is None or gender_a == gender_b


# --- the builder ----------------------------------------------------------------------------
class RecordBuilder:
    """Turns one document's entities into person records. Holds only the normaliser (pymorphy3)."""

    def __init__(self, normalizer: Optional[Normalizer] = None):
        self.normalizer = normalizer or Normalizer()

    # ------------------------------------------------------------------ entry point
    def build(self, document: Document) -> list[dict]:
        numbered = document.numbered_entities()
        return _DocumentReader(self.normalizer, document, numbered).read()


class _DocumentReader:
    """The state of reading one document: its people, what the text is about, who is speaking."""

    def __init__(self, normalizer: Normalizer, document: Document, numbered: list[tuple[str, int, Entity]]):
        self.normalizer = normalizer
        self.document = document
        self.pages = {page.number: page for page in document.pages}
        self.entities = numbered
        self.main_lang = (document.info.languages or ["ru"])[0]
        self.people: list[Person] = []
        self.mention_person: dict[str, int] = {}
        self.kin_alias: dict[str, int] = {}
        self.topic: Optional[int] = None
        self.narrator: Optional[int] = None
        self.review_dates: list[tuple[tuple[int, int], str, str]] = []
        self.used_dates: set[str] = set()
        self.decision_date: Optional[tuple[str, str]] = None
        self.form_person: Optional[int] = None  # whom a card's Фамилия / ФИО field names
        self.by_page: dict[int, list[tuple[str, Entity]]] = {}  # in reading order, as numbered
        for entity_id, page, entity in numbered:
            self.by_page.setdefault(page, []).append((entity_id, entity))
        self.starts = {page: [e.start for _, e in items] for page, items in self.by_page.items()}
        self._masked_pages: dict[int, str] = {}

    # ------------------------------------------------------------------ people
    def read(self) -> list[dict]:
        self._group_mentions()
        self._find_decision_date()
        self._find_narrator()
        for sentence in self._sentences():
            self._read_sentence(sentence)
        self._resolve_relative_dates()
        return self._records()

    def _group_mentions(self) -> None:
        mentions = []
        for entity_id, page, entity in self.entities:
            if entity.label != "PERSON" or not (entity.normalized or entity.text).strip():
                continue
            name = self.normalizer.parts(entity.normalized or entity.text)
            if not (name["surname"] or name["given"]) or not _plausible_name(name):
                continue
            mentions.append(Mention(entity_id, page, entity, name, name_gender(name, self.normalizer)))
        # fullest names first, so that "Зейнеп" or "Тоқтарова К. С." join a person already known in full
        ordered = sorted(mentions, key=lambda m: (-_fullness(m.name), m.page, m.entity.start))
        for mention in ordered:
            person = self._match(mention)
            if person is None:
                person = Person(index=len(self.people), name=dict(mention.name), gender=mention.gender,
                                first=(mention.page, mention.entity.start))
                self.people.append(person)
            else:
                self._absorb(person, mention)
            person.mentions.append(mention)
            person.first = min(person.first, (mention.page, mention.entity.start))
            self.mention_person[mention.id] = person.index

    def _match(self, mention: Mention) -> Optional[Person]:
        candidates = [p for p in self.people if _same_person(p.name, p.gender, mention.name, mention.gender)]
        if len(candidates) < 2:
            return candidates[0] if candidates else None
        where = (mention.page, mention.entity.start)
        # the nearest one before the mention: "Зейнеп" after "Зейнеп Нұрмағамбетова"
        def distance(person: Person) -> tuple:
            before = [(m.page, m.entity.start) for m in person.mentions if (m.page, m.entity.start) <= where]
            return (0, tuple(-x for x in max(before))) if before else (1, person.first)
        return min(candidates, key=distance)

    def _absorb(self, person: Person, mention: Mention) -> None:
        """Keep the fullest name, preferring the spelling of the document's main language."""
        if person.gender is None:
            person.gender = mention.gender
        ours = (_fullness(person.name), self._lang_of(person) == self.main_lang)
        theirs = (_fullness(mention.name), mention.entity.lang == self.main_lang)
        if theirs > ours:
            person.name = dict(mention.name)

    def _lang_of(self, person: Person) -> Optional[str]:
        for mention in person.mentions:
            if mention.name["full"] == person.name["full"]:
                return mention.entity.lang
        return None

    def _find_narrator(self) -> None:
        """Who "I" is: "Я, Ладыженская Галина Семеновна, ..." or the signature of a letter."""
        for mention in sorted((m for p in self.people for m in p.mentions), key=lambda m: (m.page, m.entity.start)):
            text = self.pages[mention.page].text
            before = text[max(0, mention.entity.start - 6) : mention.entity.start]
            if re.search(r"(?:^|[\s(])(?:Я|Мен)\s*,\s*$", before):
                self.narrator = self.mention_person[mention.id]
                return
        if not self._first_person_text():
            return
        last_page = max(self.pages)
        text = self.pages[last_page].text
        tail_start = text.rstrip().rfind("\n") + 1
        for mention in (m for p in self.people for m in p.mentions):
            if mention.page != last_page or mention.entity.start < tail_start:
                continue
            rest = text[tail_start : mention.entity.start] + text[mention.entity.end :]
            # a signature: the name alone, or with a word or two ("Анаң Мәлике", "Твоя мама"), not a sentence
            if len(re.findall(rf"[{_LETTERS}]+", rest)) <= 2:
                self.narrator = self.mention_person[mention.id]

    def _first_person_text(self) -> bool:
        words = re.findall(rf"[{_LETTERS}]+", " ".join(p.text for p in self.pages.values()).lower())
        return any(w in _FIRST_PERSON for w in words)

    def _find_decision_date(self) -> None:
        """The date in the heading of a protocol or decision ("Протокол № 17 от 10 марта 1938 г.")."""
        first = min(self.pages) if self.pages else None
        for entity_id, page, entity in self.entities:
            if page != first or entity.start > 400:
                break
            if entity.label == "DATE" and entity.normalized and entity.normalized[:4].isdigit():
                self.decision_date = (entity.normalized, entity_id)
                return

    # ------------------------------------------------------------------ text structure
    def _masked(self, page_no: int) -> str:
        """The page text with every entity blanked out, so names never look like event words."""
        if page_no not in self._masked_pages:
            chars = list(self.pages[page_no].text)
            for _, entity in self.by_page.get(page_no, ()):
                chars[entity.start : entity.end] = "#" * (entity.end - entity.start)
            self._masked_pages[page_no] = "".join(chars)
        return self._masked_pages[page_no]

    def _sentences(self) -> Iterable[Sentence]:
        for page_no in sorted(self.pages):
            page = self.pages[page_no]
            masked = self._masked(page_no)
            for start, end, form_line in _split_sentences(page.text, masked):
                yield Sentence(page_no, start, end, self._lang_at(page, start, end), form_line)

    @staticmethod
    def _lang_at(page, start: int, end: int) -> str:
        best, covered = "ru", -1
        for span in page.language_spans:
            overlap = min(end, span.end) - max(start, span.start)
            if overlap > covered and span.lang in ("ru", "kk"):
                best, covered = span.lang, overlap
        return best

    # ------------------------------------------------------------------ one sentence
    def _read_sentence(self, sentence: Sentence) -> None:
        page = self.pages[sentence.page]
        text, masked = page.text, self._masked(sentence.page)
        if text[sentence.start : sentence.end].rstrip().endswith("?"):
            return  # a question in a protocol states nothing
        on_page = self.by_page.get(sentence.page, [])
        first = bisect.bisect_left(self.starts[sentence.page], sentence.start) if on_page else 0
        in_sentence = []
        for eid, e in on_page[first:]:
            if e.start >= sentence.end:
                break
            if e.end <= sentence.end:
                in_sentence.append((eid, e))
        referents = self._referents(sentence, text, masked, in_sentence)
        triggers = self._triggers(sentence, text, masked)
        if sentence.form_line:
            self._form_fields(sentence, text, in_sentence, referents)
        self._birth_years(sentence, text, in_sentence, referents)
        attributed: list[int] = []
        for i, trigger in enumerate(triggers):
            before_from = triggers[i - 1].end if i else sentence.start
            after_to = triggers[i + 1].start if i + 1 < len(triggers) else sentence.end
            person = self._subject(trigger, referents, sentence)
            for who in [person, *self._partners(person, trigger, referents, text)]:
                self._read_event(trigger, who, in_sentence, text, (before_from, trigger.start),
                                 (trigger.end, after_to), sentence, attributed)
        if sentence.form_line and self.form_person is not None:
            self.topic = self.form_person  # a card is about one person, whatever else its rows name
        elif attributed:
            self.topic = attributed[-1]
        else:
            for ref in referents:
                if ref.kind in ("name", "kin") and ref.person is not None and not ref.genitive:
                    self.topic = ref.person
                    break

    def _referents(self, sentence: Sentence, text: str, masked: str, entities) -> list[Referent]:
        refs: list[Referent] = []
        for entity_id, entity in entities:
            if entity.label == "PERSON" and entity_id in self.mention_person:
                genitive = sentence.lang == "kk" and bool(_GENITIVE_KK.search(entity.text.split()[-1].lower()))
                refs.append(Referent(sentence.page, entity.start, entity.end, self.mention_person[entity_id],
                                     "name", genitive=genitive))
        for match in re.finditer(rf"(?<![{_LETTERS}#])[{_LETTERS}]+(?![{_LETTERS}#])",
                                 masked[sentence.start : sentence.end]):
            word = match.group().lower()
            start, end = sentence.start + match.start(), sentence.start + match.end()
            if word in _KIN:
                ref = self._kin(word, start, end, sentence, text, masked, refs)
                if ref:
                    refs.append(ref)
            elif word in _PRONOUNS:
                gender = _PRONOUNS[word]
                refs.append(Referent(sentence.page, start, end, self._resolve_pronoun(gender, refs, start),
                                     "pronoun"))
            elif (word in _FIRST_PERSON and (word != "мен" or start == sentence.start)) or match.group() == "Мен":
                refs.append(Referent(sentence.page, start, end, self._speaker(), "self"))
        refs.sort(key=lambda r: r.start)
        return refs

    def _speaker(self) -> Optional[int]:
        """Who "я", "мені" is: the narrator; in a protocol's answers, the person of its form; else unknown."""
        return self.narrator if self.narrator is not None else self.form_person

    def _resolve_pronoun(self, gender: Optional[str], refs: list[Referent], at: int) -> Optional[int]:
        for ref in reversed([r for r in refs if r.start < at and r.kind in ("name", "kin")]):
            if ref.person is not None and _compatible(gender, self.people[ref.person].gender) and not ref.genitive:
                return ref.person
        if self.topic is not None and _compatible(gender, self.people[self.topic].gender):
            return self.topic
        return None

    def _kin(self, word, start, end, sentence, text, masked, refs) -> Optional[Referent]:
        """ "Мой отец, Семен Аркадьевич" names a relative; a later "отца" points back at him."""
        lemma, relation = _KIN[word]
        follows = re.match(r"[\s,—–-]{0,3}(?:[" + _LETTERS + r"]+\s+){0,4}?#", masked[end : sentence.end])
        named = None
        if follows:
            gap = masked[end : end + follows.end() - 1]
            at = end + follows.end() - 1
            near = relation == "spouse" or not gap.strip(" ,—–-")
            for entity_id, entity in self.by_page.get(sentence.page, ()):
                if entity.start == at and entity.label == "PERSON":
                    if near and entity_id in self.mention_person:
                        named = self.mention_person[entity_id]
                    break
        if named is None:
            person = self.kin_alias.get(lemma)
            return Referent(sentence.page, start, end, person, "kin") if person is not None else None
        self.kin_alias[lemma] = named
        anchor = self._kin_anchor(word, start, sentence, text, refs, named)
        if anchor is not None and anchor != named:
            self._relate(anchor, relation, named)
        return None  # the name itself follows and is the referent

    def _kin_anchor(self, word, start, sentence, text, refs, named) -> Optional[int]:
        """Whose relative: "мой отец", "анам" -> the narrator; "ее муж", "күйеуі" -> the person
        before or the one the text is about; "әкең" (your father) -> nobody we know; a bare
        "Мама, ..." in a first-person text -> the narrator."""
        previous = re.findall(rf"[{_LETTERS}]+", text[max(sentence.start, start - 12) : start].lower())
        before = previous[-1] if previous else ""
        kazakh = _KIN[word][0] in _KK_KIN
        # "I" unknown: in a protocol the answers are the accused's (the person of its form); else nobody
        narrator = self._speaker()
        if before in _FIRST_PERSON_POSSESSIVE or (kazakh and re.search(r"(ым|ім|м)$", word)):
            return narrator
        if kazakh and re.search(r"(ң|ңнен|ңның|ңді)$", word):
            return None  # the addressee's relative
        third = before in _THIRD_PERSON_POSSESSIVE or (kazakh and re.search(r"(ы|і|сы|сі|ын|ін|ының|інің)$", word))
        if not third and self.narrator is not None:
            return self.narrator
        for ref in reversed([r for r in refs if r.start < start]):
            if ref.person is not None and ref.person != named and ref.kind != "self":
                return ref.person
        return self.topic

    def _relate(self, anchor: int, relation: str, other: int) -> None:
        """`other` is the anchor's `relation` ("spouse", "child", ...); the inverse goes on the other record."""
        pair = (relation, other)
        if pair not in self.people[anchor].relations:
            self.people[anchor].relations.append(pair)
        inverse = (_INVERSE[relation], anchor)
        if inverse not in self.people[other].relations:
            self.people[other].relations.append(inverse)

    def _triggers(self, sentence: Sentence, text: str, masked: str) -> list[Trigger]:
        found: list[Trigger] = []
        chunk = masked[sentence.start : sentence.end]
        for lang, table in (("ru", _RU_PATTERNS), ("kk", _KK_PATTERNS)):
            if lang != sentence.lang and not sentence.form_line:
                continue
            for kind, pattern in table.items():
                for match in pattern.finditer(chunk):
                    start, end = sentence.start + match.start(), sentence.start + match.end()
                    if _BEFORE_WORDS.match(masked[end : end + 10]):
                        continue
                    word = text[start:end]
                    found.append(Trigger(sentence.page, start, end, kind, word, trigger_gender(word, lang), lang))
        if sentence.form_line:
            found.extend(self._form_triggers(sentence, text, found))
        found.sort(key=lambda t: t.start)
        kept: list[Trigger] = []
        for trigger in found:  # overlapping patterns: the first, longest one
            if kept and trigger.start < kept[-1].end:
                continue
            kept.append(trigger)
        return kept

    def _form_triggers(self, sentence: Sentence, text: str, found: list[Trigger]) -> list[Trigger]:
        """Event labels at the start of a form cell, read with one OCR slip allowed ("Фсуждена")."""
        extra = []
        taken = {t.start for t in found}
        for cell in re.finditer(r"[^\t\n]+", text[sentence.start : sentence.end]):
            words = re.match(rf"\s*([{_LETTERS}]+)", cell.group())
            if not words:
                continue
            word = words.group(1)
            start = sentence.start + cell.start() + words.start(1)
            if start in taken or len(word) < 5:
                continue
            for label, kind in _FORM_EVENTS.items():
                if _close(word.lower(), label):
                    extra.append(Trigger(sentence.page, start, start + len(word), kind, label,
                                         trigger_gender(label, "ru"), "ru"))
                    break
        return extra

    # ------------------------------------------------------------------ who, when, where
    def _subject(self, trigger: Trigger, referents: list[Referent], sentence: Sentence) -> Optional[int]:
        def fits(ref: Referent) -> bool:
            if ref.person is None or ref.genitive:
                return False
            return _compatible(trigger.gender, self.people[ref.person].gender)

        nearest = [r for r in referents if r.end <= trigger.start]
        if nearest and nearest[-1].kind == "self" and nearest[-1].person is None:
            return None  # "мені алып кетті" with no known "I": nobody, rather than the wrong person
        before = [r for r in referents if r.end <= trigger.start and fits(r)]
        if before:
            return before[-1].person
        after = [r for r in referents if r.start >= trigger.end and fits(r)]
        if after and trigger.type != "birth":
            return after[0].person
        if self.topic is not None and _compatible(trigger.gender, self.people[self.topic].gender):
            return self.topic
        for person in sorted(self.people, key=lambda p: p.first, reverse=True):
            if person.first <= (sentence.page, trigger.start) and _compatible(trigger.gender, person.gender):
                return person.index
        return None

    def _partners(self, person: Optional[int], trigger: Trigger, referents: list[Referent], text: str) -> list[int]:
        """ "Петров и Петрова жили в Томске": a plural verb after two names joined by "и" / "мен" is about both."""
        if person is None or trigger.type == "birth" or (trigger.lang == "ru" and not _PLURAL.search(trigger.word)):
            return []
        names = [r for r in referents if r.end <= trigger.start and r.kind == "name" and r.person is not None]
        if len(names) < 2 or names[-1].person != person:
            return []
        first, second = names[-2], names[-1]
        if first.person == person or not _JOINED.fullmatch(text[first.end : second.start]):
            return []
        return [first.person]

    def _dates_in(self, entities, span: tuple[int, int], text: str, skip_used: bool = True):
        out = []
        for entity_id, entity in entities:
            if entity.label != "DATE" or not entity.normalized:
                continue
            if not (span[0] <= entity.start and entity.end <= span[1]):
                continue
            if skip_used and entity_id in self.used_dates:
                continue
            lead = text[max(0, entity.start - 22) : entity.start].lower()
            if re.search(r"(считая срок с|срок(?:а)? с|начало срока|конец срока|по)\s*$", lead):
                continue
            out.append((entity_id, entity))
        return out

    def _places_in(self, entities, span: tuple[int, int], labels=("PLACE",)):
        return [(eid, e) for eid, e in entities
                if e.label in labels and span[0] <= e.start and e.end <= span[1] and e.normalized]

    def _read_event(self, trigger: Trigger, person: Optional[int], entities, text: str,
                    before: tuple[int, int], after: tuple[int, int], sentence: Sentence, attributed: list) -> None:
        verb_last = trigger.lang == "kk"
        first, second = (before, after) if verb_last else (after, before)

        def pick(candidates, region):
            if not candidates:
                return None
            return candidates[-1] if region is before else candidates[0]

        date = None
        for region in (first, second) if not verb_last else (first,):
            date = pick(self._dates_in(entities, region, text), region)
            if date:
                break
        if trigger.type == "review":
            if date and not re.search(r"от\s*$", text[max(0, date[1].start - 4) : date[1].start]):
                self.review_dates.append(((sentence.page, trigger.start), date[1].normalized, date[0]))
                self.used_dates.add(date[0])
            return
        if person is None:
            return
        if trigger.type == "birth":
            self._read_birth(trigger, person, entities, text, first, date)
            attributed.append(person)
            return
        place_labels = ("PLACE", "ORG") if trigger.type == "transfer" else ("PLACE",)
        place = None
        # where: only in the stretch the event word governs ("арестованной 15.VIII.1937" does not take
        # the town she worked in before it)
        for region in (first,) if trigger.type not in ("sentence", "rehabilitation") else ():
            if verb_last:  # Kazakh: the clause of the verb, not a workplace named before a comma
                comma = text.rfind(",", region[0], region[1])
                region = (comma + 1, region[1]) if comma >= 0 else region
            candidates = [c for c in self._places_in(entities, region, place_labels)
                          if not (verb_last and _ABLATIVE_KK.search(c[1].text.split()[-1].lower())
                                  and trigger.type == "transfer")]
            place = pick(candidates, region)
            if place:
                break
        evidence, extra = [], {}
        value = None
        if date:
            self.used_dates.add(date[0])
            evidence.append(date[0])
            value = date[1].normalized
            year = dates.year_of(value)
            if year and year < _EARLIEST_EVENT_YEAR and trigger.type not in ("death", "residence"):
                extra = {"date_as_read": value}  # "5.XI.1837": an OCR slip; shown, not used as the date
                value = None
        if trigger.type == "sentence":
            extra = {**extra, **self._sentence_details(entities, text, sentence, first, second)}
            if extra.get("organ_id"):
                evidence.append(extra.pop("organ_id"))
            if value is None and _DECISION.match(trigger.word) and self.decision_date:
                value, decision_id = self.decision_date
                evidence.append(decision_id)
        kind = trigger.type
        place_fallback = None
        if kind == "transfer" and _ORPHANAGE.search(text[before[0] : after[1]]):
            kind = "residence"  # a child taken to a children's home lives there; camps and prisons are transfers
        if trigger.type == "transfer" and not place and (value is None or trigger.word.lower().startswith(("өте", "отбывал"))):
            return  # "переведен на казахский язык", "жазасын өтеп босатылған": not a move
        if trigger.type == "residence" and not place:
            # the town was not tagged ("проживала в\nмоскве" as OCR reads it): the word after "в"
            fallback = re.match(rf"\s*(?:в|во)\s+((?:г\.\s*)?[{_LETTERS}][{_LETTERS}-]{{3,}})", text[trigger.end : after[1]])
            if fallback and fallback.group(1).lower() in _NOT_TOWNS:
                fallback = None
            if not fallback and trigger.word.lower() not in ("местожительство", "место жительства"):
                return
            if fallback:
                town = self.normalizer.place(fallback.group(1), "ru")
                place_fallback = town[:1].upper() + town[1:]
        if trigger.type == "death" and value is None:
            previous = self.people[person].events[-1] if self.people[person].events else None
            if previous and previous.type == "sentence" and _CAPITAL.search(previous.extra.get("term") or ""):
                value = previous.date
                evidence.extend(previous.evidence[:1])
        if trigger.type == "rehabilitation" and value is None and self.review_dates:
            where = (sentence.page, trigger.start)
            earlier = [r for r in self.review_dates if r[0] <= where]
            chosen = earlier[-1] if earlier else self.review_dates[0]
            value = chosen[1]
            evidence.append(chosen[2])
        place_value = place_fallback if not place else None
        if place:
            evidence.append(place[0])
            place_value = place[1].normalized
        event = Event(kind, value, place_value, evidence, extra)
        self.people[person].events.append(event)
        attributed.append(person)

    def _read_birth(self, trigger, person, entities, text, first, date) -> None:
        record = self.people[person]
        word = trigger.word.lower()
        if date and not word.startswith(("уроженк", "уроженц")):
            self.used_dates.add(date[0])
            record.birth_dates.append((date[1].normalized, [date[0]]))
        places = self._places_in(entities, first)  # Kazakh: before "туған"; Russian: after "уроженка"
        if places:
            chosen = places[-1] if trigger.lang == "kk" else places[0]
            record.birth_places.append((chosen[1].normalized, [chosen[0]]))
        elif word.startswith(("уроженк", "уроженц")):  # the place was not tagged: read the words themselves
            named = re.match(rf"\s*((?:г|с|дер|пос|ст)\.\s*)?([{_LETTERS}][{_LETTERS}-]+(?:\s+(?:губернии|области|"
                             rf"обл\.|уезда|района|р-на))?)", text[trigger.end : first[1]])
            if named and (named.group(1) or named.group(2)[0].isupper()):  # "г. уфы" as OCR reads it
                record.birth_places.append((self.normalizer.place((named.group(1) or "") + named.group(2), "ru"), []))

    def _sentence_details(self, entities, text, sentence, first, second) -> dict:
        organ = None
        for region in (first, second):
            orgs = self._places_in(entities, region, ("ORG",))
            if orgs:
                organ = orgs[0] if region is first and sentence.lang != "kk" else orgs[-1]
                break
        whole = text[sentence.start : sentence.end]
        charge = next((name for pattern, name in _CHARGES if pattern.search(whole)), None)
        article = _ARTICLE.search(whole)
        if article:
            charge = f"{charge}; ст. {article.group(1)}" if charge else f"ст. {article.group(1)}"
        term, years = None, None
        for pattern in _TERMS:
            found = pattern.search(whole)
            if found:
                term = found.group(0).strip()
                number = found.group(1) if found.groups() else None
                if number:
                    years = int(number) if number.isdigit() else _NUMBER_WORDS.get(number.lower())
                break
        return {"organ": organ[1].normalized if organ else None, "organ_id": organ[0] if organ else None,
                "charge": charge, "term": term, "term_years": years}

    # ------------------------------------------------------------------ births and forms
    def _birth_years(self, sentence, text, entities, referents) -> None:
        """ "1905 г.р.", "1930 года рождения", "(1933 жылы туған)" right after a name."""
        for entity_id, entity in entities:
            if entity.label != "DATE" or not entity.normalized or entity_id in self.used_dates:
                continue
            around = (entity.text + text[entity.end : entity.end + 16]).lower()
            after = text[entity.end : entity.end + 12].lower()
            in_brackets = text[max(0, entity.start - 2) : entity.start].strip().endswith("(") and \
                re.match(r"\s*(туған|ту\S?\s?\S?ан\b|туылған)", after)
            if not (in_brackets or re.search(r"г\.?\s?р\.|г\.\s?рожд|года рождения|году рождения|г\.р\b", around)):
                continue
            owners = [r for r in referents if r.end <= entity.start and r.person is not None and not r.genitive]
            person = owners[-1].person if owners else self.topic
            if person is None:
                continue
            self.used_dates.add(entity_id)
            self.people[person].birth_dates.append((entity.normalized, [entity_id]))
            self.topic = person

    def _form_fields(self, sentence, text, entities, referents) -> None:
        """ "Фамилия Кравец", "Год рождения 1899", "Место рождения г. Житомир" on cards and protocols."""
        line = text[sentence.start : sentence.end]
        fields = list(_form_cells(line))
        if not fields:
            return
        for key, value_start, value_end in fields:
            if key is None:
                continue
            start, end = sentence.start + value_start, sentence.start + value_end
            value = text[start:end].strip(" .:;,\t")
            if not value and key in ("birth_date", "birth_place"):
                # the value printed above its label ("1899" / "Год рождения"), as OCR reads some cards
                above_end = text.rfind("\n", 0, sentence.start)
                above_start = text.rfind("\n", 0, max(above_end, 0)) + 1
                if above_end > above_start and "\t" not in text[above_start:above_end]:
                    start, end = above_start, above_end
                    value = text[start:end].strip(" .:;,\t")
                    entities = [(eid, e) for eid, e in self.by_page.get(sentence.page, ())
                                if e.start >= start and e.end <= end]
            inside = [(eid, e) for eid, e in entities if e.start >= start and e.end <= end + 1]
            people = [self.mention_person[eid] for eid, e in inside if e.label == "PERSON" and eid in self.mention_person]
            if key in ("fio", "surname") and people:
                self.topic = self.form_person = people[0]
            if key in ("surname", "given", "patronymic", "given_patronymic") and value:
                self._form_name(key, value, people)
                continue
            person = self.topic
            if person is None:
                continue
            record = self.people[person]
            if key == "birth_date":
                found = [(eid, e) for eid, e in inside if e.label == "DATE" and e.normalized]
                if found and found[0][0] not in self.used_dates:
                    self.used_dates.add(found[0][0])
                    record.birth_dates.append((found[0][1].normalized, [found[0][0]]))
                elif not found:
                    normalized = dates.normalize_date(value, sentence.lang) if value else None
                    if normalized:
                        record.birth_dates.append((normalized, []))
            elif key == "birth_place":
                found = [(eid, e) for eid, e in inside if e.label == "PLACE" and e.normalized]
                if found:
                    record.birth_places.append((found[0][1].normalized, [found[0][0]]))
                elif value and re.search(rf"[{_LETTERS}]{{3}}", value):
                    record.birth_places.append((self.normalizer.place(value.split(",")[0], sentence.lang), []))
            elif key in ("charge", "term") and value:
                record.form_sentence.setdefault(key, value)  # "Статья ЧСИР", "Срок 8 лет": the card's sentence

    def _form_name(self, key: str, value: str, people: list[int]) -> None:
        """Cards split the name into fields; only the surname is usually tagged as a PERSON."""
        value = re.sub(rf"(?<=[{_LETTERS}])[:;.,'`’]+(?=[{_LETTERS}])", "", value)  # "Е::докия"
        words = re.findall(rf"[{_LETTERS}][{_LETTERS}-]*", value)
        # "Ни кифоровна", "Яковлев а": one word that OCR broke in two
        while len(words) > 1 and (len(words[0]) <= 2 or len(words[1]) <= 2) and words[1][:1].islower():
            words[:2] = [words[0] + words[1]]
        if not words:
            return
        if key == "surname":
            if people:
                self.topic = people[0]
                return
            name = {"full": words[0], "surname": words[0], "given": None, "patronymic": None}
            person = Person(index=len(self.people), name=name, gender=name_gender(name, self.normalizer))
            self.people.append(person)
            self.topic = self.form_person = person.index
            return
        if self.topic is None:
            return
        person = self.people[self.topic]
        name = dict(person.name)
        if key == "given" and not name.get("given"):
            name["given"] = words[0]
        elif key == "patronymic" and not name.get("patronymic"):
            name["patronymic"] = words[0]
        elif key == "given_patronymic":
            name["given"] = name.get("given") or words[0]
            if len(words) > 1:
                name["patronymic"] = name.get("patronymic") or words[1]
        name["full"] = " ".join(p for p in (name["surname"], name["given"], name["patronymic"]) if p)
        person.name = name
        if person.gender is None:
            person.gender = name_gender(name, self.normalizer)

    # ------------------------------------------------------------------ finishing
    def _resolve_relative_dates(self) -> None:
        """ "29 мая того же года", "2 шілдеде": a date without its year takes the year before it."""
        years: list[tuple[tuple[int, int], int]] = []
        for _, page, entity in self.entities:
            year = dates.year_of(entity.normalized) if entity.label == "DATE" else None
            if year:
                years.append(((page, entity.start), year))
        where = {eid: (page, e.start) for eid, page, e in self.entities}
        positions = [pos for pos, _ in years]
        for person in self.people:
            for event in person.events:
                if event.date and event.date.startswith("XXXX") and event.evidence:
                    at = where.get(event.evidence[0])
                    before = bisect.bisect_left(positions, at) if at else 0
                    if before and not dates.impossible_day(f"{years[before - 1][1]}{event.date[4:]}"):
                        event.date = f"{years[before - 1][1]}{event.date[4:]}"
                if event.date and event.date.startswith("XXXX"):  # no year anywhere before it: say so
                    event.extra["date_without_year"] = event.date[5:]
                    event.date = None

    def _records(self) -> list[dict]:
        ordered = sorted(self.people, key=lambda p: p.first)
        number = {person.index: f"p{i}" for i, person in enumerate(ordered, start=1)}
        out = []
        for person in ordered:
            births = _distinct(person.birth_dates)
            places = _distinct(person.birth_places)
            record = {
                "id": number[person.index],
                "name": _name_record(person.name),
                "gender": {"f": "female", "m": "male"}.get(person.gender),
                "birth": {
                    "date": births[0][0] if births else None,
                    "place": places[0][0] if places else None,
                    "evidence": [e for value in (births[:1] + places[:1]) for e in value[1]],
                },
                "events": [event.as_dict() for event in _with_card_sentence(_merge_events(person.events),
                                                                             person.form_sentence)],
                "mentions": [m.id for m in sorted(person.mentions, key=lambda m: (m.page, m.entity.start))],
                "relations": [{"type": kind, "person": number[other]} for kind, other in person.relations],
            }
            aliases = sorted({m.name["full"] for m in person.mentions} - {record["name"]["full"]})
            if aliases:
                record["aliases"] = aliases
            conflicts = [{"date": d, "evidence": ev} for d, ev in births[1:]] + \
                        [{"place": p, "evidence": ev} for p, ev in places[1:]]
            if conflicts:
                record["birth"]["alternatives"] = conflicts
            out.append(record)
        return out


# --- module helpers -------------------------------------------------------------------------
_RU_PATTERNS = {k: re.compile(rf"(?<![{_LETTERS}])(?:{v})(?![{_LETTERS}])", re.I) for k, v in _RU_TRIGGERS.items()}
_KK_PATTERNS = {k: re.compile(rf"(?<![{_LETTERS}])(?:{v})(?![{_LETTERS}])", re.I) for k, v in _KK_TRIGGERS.items()}


def _fullness(name: dict) -> int:
    score = 0
    for part in ("surname", "given", "patronymic"):
        value = name.get(part)
        if value:
            score += 1 if value.endswith(".") else 3
    return score


def _same_person(known: dict, known_gender, new: dict, new_gender) -> bool:
    """Could `new` be another mention of the person named `known`? Conservative: one full word must agree."""
    if not _compatible(known_gender, new_gender):
        return False
    agreed = False
    ks, ns = fold(known.get("surname")), fold(new.get("surname"))
    if ks and ns:
        if not (_close(ks, ns) or _surname_part(ks, ns) and known.get("given") and new.get("given")):
            return False
        agreed = True
    kp, np_ = fold(known.get("patronymic")), fold(new.get("patronymic"))
    same_patronymic = len(kp) > 2 and len(np_) > 2 and _patronymic_stem(kp) == _patronymic_stem(np_)
    for part in ("given", "patronymic"):
        kv, nv = fold(known.get(part)), fold(new.get(part))
        if not (kv and nv):
            if part == "given" and not ns and nv and not kv:
                return False  # "Зейнеп" alone cannot join a surname-only record
            continue
        if len(kv) == 1 or len(nv) == 1:  # initials
            if kv[0] != nv[0]:
                return False
            continue
        if part == "patronymic" and _patronymic_stem(kv) == _patronymic_stem(nv):
            agreed = True
            continue
        slip = same_patronymic and min(len(kv), len(nv)) >= 4 and edit_distance(kv, nv, 1) <= 1  # "Анва Моисеевна"
        pet = part == "given" and not (ks and ns) and is_pet_form(nv, kv)  # "тетя Рая" ~ "Раиса"
        if not (_close(kv, nv) or slip or pet):
            return False
        agreed = True
    if not ns and not (new.get("given") and len(fold(new.get("given"))) > 1):
        return False
    return agreed


def _plausible_name(name: dict) -> bool:
    """OCR debris tagged as a name ("Осз::бождена") makes no person; words of letters and hyphens do."""
    words = [w for part in ("surname", "given", "patronymic") for w in (name.get(part) or "").split()]
    if len(words) == 1 and re.search(r"(ое|ые|ого|ому|ыми)$", words[0].lower()):
        return False  # "Акмолинское": an adjective, not a surname
    return bool(words) and all(_NAME_WORD.fullmatch(w) for w in words) and any(len(w.strip(".")) > 1 for w in words)


def _name_record(name: dict) -> dict:
    parts = {k: (name.get(k) or None) for k in ("surname", "given", "patronymic")}
    full = " ".join(v for v in parts.values() if v) or name.get("full")
    return {"full": full, **parts}


def _distinct(values: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    out: dict[str, list[str]] = {}
    for value, evidence in values:
        if value is None:
            continue
        key = fold(value)
        if key in out:
            out[key][1].extend(e for e in evidence if e not in out[key][1])
        else:
            out[key] = [value, list(evidence)]
    return [tuple(v) for v in out.values()]


def _with_card_sentence(events: list[Event], card: dict) -> list[Event]:
    """A card gives the charge and term in fields of their own: they belong to its sentence
    (the only one, or none is guessed)."""
    sentences = [e for e in events if e.type == "sentence"]
    if len(sentences) == 1 and card:
        sentence = sentences[0]
        if card.get("charge") and not sentence.extra.get("charge"):
            charge = next((name for pattern, name in _CHARGES if pattern.search(card["charge"])), None)
            article = _ARTICLE.search("ст. " + card["charge"]) if not charge else None
            sentence.extra["charge"] = charge or (f"ст. {article.group(1)}" if article else card["charge"])
        if card.get("term") and not sentence.extra.get("term"):
            clean = re.match(r"\s*\S+(?:\s*\([^)]*\))?\s+(?:лет|года|год)(?:\s+ИТЛ)?", card["term"], re.I)
            sentence.extra["term"] = clean.group(0).strip() if clean else card["term"]  # "8 лет е." -> "8 лет"
            number = re.match(_NUM, card["term"].strip(), re.I)
            if number:
                word = number.group(1).lower()
                sentence.extra["term_years"] = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
    return events


def _merge_events(events: list[Event]) -> list[Event]:
    """One event per (type, date); an undated one folds into a dated one of the same type and place.
    Different dates of one type stay separate: they are what a reviewer must see."""
    merged: list[Event] = []
    for event in events:
        same = next((m for m in merged if m.type == event.type and m.date == event.date and (event.date or
                     m.place is None or event.place is None or fold(m.place) == fold(event.place))), None)
        if same is None and event.date is None:
            same = next((m for m in merged if m.type == event.type and
                         (m.place is None or event.place is None or fold(m.place) == fold(event.place))), None)
        if same is None:
            merged.append(Event(event.type, event.date, event.place, list(event.evidence), dict(event.extra)))
            continue
        same.evidence.extend(event.evidence)  # duplicates go at the end
        same.place = same.place or event.place
        for key, value in event.extra.items():
            if same.extra.get(key) is None:
                same.extra[key] = value
    # an undated event that came first, and a dated one of the same type after it
    result = []
    for event in merged:
        if event.date is None and any(m.type == event.type and m.date and
                                      (m.place is None or event.place is None or fold(m.place) == fold(event.place))
                                      for m in merged):
            target = next(m for m in merged if m.type == event.type and m.date)
            target.evidence.extend(event.evidence)
            continue
        result.append(event)
    for event in result:
        event.evidence = list(dict.fromkeys(event.evidence))
    return result


def _split_sentences(text: str, masked: str) -> list[tuple[int, int, bool]]:
    """Sentences of a page, and the rows of a form as sentences of their own.

    OCR leaves blank lines inside paragraphs, so a blank line ends a sentence only when the
    text before it ends like one or the text after it starts with a capital. Entities are
    blanked in `masked`, so the dots of "15.VIII.1937" or "П. И." never end a sentence."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    rows = [_starts_with_label(text[s:e]) or "\t" in text[s:e] for s, e in lines]
    form_page = sum(rows) >= 2
    spans: list[tuple[int, int, bool]] = []
    chunk: Optional[list[int]] = None
    for (start, end), row in zip(lines, rows):
        if row and form_page:
            if chunk:
                spans.extend((s, e, False) for s, e in _split_running(text, masked, *chunk))
            spans.append((start, end, True))
            chunk = None
        elif chunk is None:
            chunk = [start, end]
        else:
            chunk[1] = end
    if chunk:
        spans.extend((s, e, False) for s, e in _split_running(text, masked, *chunk))
    return spans


def _split_running(text: str, masked: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = []
    for match in re.finditer(rf"[.!?](?=\s+[\"«(]?([{_UPPER}0-9#]))", masked[start:end]):
        at = start + match.start()
        word = _LAST_WORD.search(masked[max(start, at - 40) : at])
        if masked[at] == "." and word:
            token = word.group(1)
            if "#" not in token and (token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())):
                continue
        cuts.append(at + 1)
    for match in re.finditer(r"\n[ \t]*\n\s*", masked[start:end]):
        before = masked[start : start + match.start()].rstrip()
        after = text[start + match.end() : start + match.end() + 1]
        last_line = before[before.rfind("\n") + 1 :]
        heading = len(last_line) < 40 and (after.isupper() or after.isdigit() or after in "«(")
        if (before and before[-1] in ".!?:;»\")") or heading:
            cuts.append(start + match.start())
    out, begin = [], start
    for cut in sorted(set(cuts)):
        if begin < cut:
            out.append((begin, cut))
            begin = cut
    if begin < end:
        out.append((begin, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _starts_with_label(line: str) -> bool:
    if _form_label_at(line, 0) is not None:
        return True
    first = re.match(rf"\s*([{_LETTERS}]+)\s*[:\t]", line)
    return bool(first) and any(_close(first.group(1).lower(), label) for label in _FORM_EVENTS)


def _form_label_at(line: str, offset: int) -> Optional[tuple[str, int]]:
    """(label key, end of the label) when `line[offset:]` starts with a form label, else None."""
    rest = line[offset:]
    lead = len(rest) - len(rest.lstrip())
    found = _label_at_start(rest[lead : lead + _LONGEST_LABEL + 1])
    return None if found is None else (found[0], offset + lead + found[1])


@functools.lru_cache(maxsize=4096)
def _label_at_start(head: str) -> Optional[tuple[Optional[str], int]]:
    """The longest label `head` starts with: exactly, or one letter off for long labels ("Мёстожительство")."""
    lowered = head.lower()
    best = None
    for label, key in _FORM_LABELS.items():
        n = len(label)
        candidate = lowered[:n]
        if len(candidate) < n:
            continue
        if candidate != label and (n < 7 or sum(a != b for a, b in zip(candidate, label)) > 1):
            continue
        after = head[n : n + 1]
        if after and after.isalpha():
            continue
        if best is None or n > best[1]:
            best = (key, n)
    return best


def _form_cells(line: str) -> Iterable[tuple[Optional[str], int, int]]:
    """(field key, value start, value end) for every labelled cell of a form row."""
    cells = [(m.start(), m.end()) for m in re.finditer(r"[^\t]+", line)]
    labels = [_form_label_at(line[:end], start) for start, end in cells]
    for i, ((cell_start, cell_end), found) in enumerate(zip(cells, labels)):
        if not found:
            continue
        key, value_start = found
        while value_start < cell_end and line[value_start] in " :.\t":
            value_start += 1
        if value_start >= cell_end and i + 1 < len(cells) and not labels[i + 1]:
            value_start, cell_end = cells[i + 1]  # "Фамилия<TAB>Зайцева": the value has a cell of its own
        yield key, value_start, cell_end
