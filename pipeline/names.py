"""Name knowledge, in one place: letters, OCR look-alikes, name endings, pet names, gender and
"could these be one name?".

Entities (span repairs), normalize (case of a name), records (one person per document) and index
(one person per archive) all read names; they used to keep four copies of these tables with
differing contents, so a patronymic ending learnt in one was missing in another. Everything here
is data and small pure functions: no pymorphy3, no models, cheap to import anywhere.
"""

from __future__ import annotations

import re
from typing import Optional

# --- letters -------------------------------------------------------------------------------
KK_LETTERS = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"  # Kazakh letters beyond the Russian alphabet
LETTERS = "A-Za-zА-Яа-яЁё" + KK_LETTERS  # for regex character classes
UPPER = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
VOWELS = frozenset("аәеёиіоөуұүыэюя")
BACK_VOWELS, FRONT_VOWELS = frozenset("аоұыя"), frozenset("әеөүіэ")  # и, у, ю (and ё of loans) go either way
# Kazakh letters to the Russian letter a Russian-language text writes for them: "Исқақов" ~ "Искаков".
_FOLD = str.maketrans("әғқңөұүһіёӘҒҚҢӨҰҮҺІЁ", "агкноуухиеАГКНОУУХИЕ")

# --- OCR look-alikes -----------------------------------------------------------------------
# Latin letters OCR puts into Cyrillic words ("Kравец", "Opлова"): the same glyph in most
# typewriter and book faces; "u" is the italic and handwritten "и".
LATIN_LOOKALIKES = "AaBCcEeHKkMOoPpTXxyu"
CYRILLIC_OF_LATIN = "АаВСсЕеНКкМОоРрТХхуи"
LOOKALIKE_TO_CYRILLIC = str.maketrans(LATIN_LOOKALIKES, CYRILLIC_OF_LATIN)

# --- endings -------------------------------------------------------------------------------
# Russian patronymics in every case ("Ивановича", "Петровной"), Kazakh/Turkic ones ("Өтегенұлы",
# "Санжарқызы", Kyrgyz "уулу", Azerbaijani "оглы").
PATR_MASC = re.compile(r"^(.+(?:ович|евич|ёвич|ич))(а|у|ем|ом|е|)$")
PATR_FEMN = re.compile(r"^(.+(?:овн|евн|ёвн|ичн))(а|ы|е|у|ой|ою)$")
PATR_TURKIC = re.compile(r"(ұлы|улы|уулу|оглы|қызы|кызы)$")
# A patronymic in running text, any case: stricter than PATR_MASC (no bare "-ич": "кирпича").
PATRONYMIC_END = re.compile(r"(?:вич(?:а|у|ем|ом|е)?|(?:вн|ичн)(?:а|ы|е|у|ой|ою)|кызы|қызы|улы|ұлы|уулу|оглы)$", re.I)
# The patronymic suffix alone: "Санжаровна" and "Санжарқызы" share the stem "санжар".
PATRONYMIC_SUFFIX = re.compile(r"(инична|овна|евна|ична|ович|евич|ич|қызы|кызы|ұлы|улы|уулу|оглы)$")

# Surnames: -ов/-ев/-ин (any case), -ский/-цкий (any case and gender), and the endings of
# Ukrainian, Georgian, Armenian and Turkic surnames.
SURN_OV = re.compile(r"^(.+(?:ов|ев|ёв|ин|ын))(а|у|ым|е|ой|ою|)$")
SURN_SKY = re.compile(r"^(.+(?:ск|цк))(ий|ого|ому|им|ом|ая|ой|ую)$")
SURN_FIXED = re.compile(r"(ко|их|ых|аго|яго|дзе|швили|[оеиуюэ])$")  # do not decline
SURNAME_END = re.compile(
    r"(?:ов|ев|ёв|ин|ын)(?:а|у|ым|ой|ою|е)?$|(?:ск|цк)(?:ий|ая|ого|ому|им|ом|ой|ую)$"
    r"|(?:енко|швили|дзе|ян|ук|юк|уулу|кызы|оглы)$",
    re.I,
)
# Nominative gender of a surname: "Ахметова" is hers, "Ахметов" his.
# A surname of the -ов/-ин family in the nominative, as Kazakh surnames are ("Оспанов", "Қасымова"):
# in Kazakh text the case ending comes after it ("Оразбаевамен") and is stripped first.
SURNAME_OV_NOMINATIVE = re.compile(r"(?:ов|ев|ёв|ин|ын)а?$")
SURNAME_FEMN = ("ова", "ева", "ёва", "ина", "ына", "ская", "цкая", "ая")
SURNAME_MASC = ("ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ой", "ый", "ий")

# --- words around names --------------------------------------------------------------------
# Address words that stand before a name and are no part of it ("гр-ка Иванова", "тов. Петров").
TITLES = frozenset({
    "гр", "гр-н", "гр-ка", "гражд", "гражданин", "гражданка", "гражданина", "гражданки", "гражданину",
    "гражданке", "гражданином", "гражданкой", "тов", "товарищ", "товарища", "товарищу", "товарищем",
    "з/к", "азамат", "азаматы", "азаматтың", "азаматша", "жолдас", "жолдастың",
})
# Procedural roles and kinship words a model pulls into a name ("Обвиняемая Петрова", "жена Петрова").
ROLE_WORDS = frozenset({
    "т", "обвиняемый", "обвиняемая", "обвиняемого", "обвиняемой", "осужденный", "осужденная", "осужденного",
    "осужденной", "арестованный", "арестованная", "арестованного", "арестованной", "заключенный",
    "заключенная", "заключенного", "заключенной", "свидетель", "свидетельница", "подсудимый", "подсудимая",
    "жена", "вдова", "дочь", "сын", "мать", "отец", "муж", "брат", "сестра",
})
# Kinship and address words a model pulls into the front of a name: "Күйеуі Тоқтаров Ермек",
# "жена Петрова" (the entity stage cuts them off).
LEADING_ROLES = frozenset({
    "күйеуі", "күйеуім", "әйелі", "анасы", "анам", "әкесі", "әкем", "ағасы", "апасы", "апа", "қызы",
    "баласы", "азамат", "азаматша", "жолдас", "жена", "муж", "мать", "отец", "сын", "дочь",
    "жары", "жұбайы", "інісі", "сіңлісі", "қарындасы", "апам", "әпкесі", "ағам", "анасы", "шешесі", "шешем",
})
# Nouns that stand in apposition to a name and so share its case and gender ("выдана гражданке
# Ивановой"); any other noun before a name governs it in the genitive ("жена Иванова").
APPOSITION_LEMMAS = frozenset({
    "гражданин", "гражданка", "товарищ", "заключённый", "заключенный", "заключённая", "заключенная",
    "обвиняемый", "обвиняемая", "осуждённый", "осужденный", "осуждённая", "осужденная", "подсудимый",
    "подсудимая", "свидетель", "свидетельница", "арестованный", "арестованная", "политзаключённый",
})
# Kinship nouns: before a name they govern it in the genitive as often as they stand in apposition
# ("жена Иванова" is his wife or Ivanova); other nouns of persons stand in apposition ("секретарь
# Оспанова", "следователь Петрова").
KINSHIP_LEMMAS = frozenset({
    "жена", "муж", "мать", "отец", "сын", "дочь", "брат", "сестра", "вдова", "вдовец", "бабушка", "дедушка",
    "тётя", "тетя", "дядя", "племянник", "племянница", "внук", "внучка", "свекровь", "тёща", "теща", "зять",
    "невестка", "сноха", "семья", "родственник", "родственница",
})
# Which cases a preposition governs, for the name right after it (the first is the usual one for
# a person: "с Ивановым", "о Петровой", "к Сидорову").
PREPOSITION_CASES = {
    "с": ("ablt", "gent"), "со": ("ablt", "gent"), "о": ("loct",), "об": ("loct",), "обо": ("loct",),
    "при": ("loct",), "к": ("datv",), "ко": ("datv",), "по": ("datv",), "у": ("gent",), "от": ("gent",),
    "для": ("gent",), "без": ("gent",), "против": ("gent",), "после": ("gent",), "до": ("gent",),
    "из": ("gent",), "около": ("gent",), "вместо": ("gent",), "кроме": ("gent",), "про": ("accs",),
    "через": ("accs",), "на": ("accs", "loct"), "в": ("accs", "loct"), "за": ("ablt", "accs"),
    "перед": ("ablt",), "над": ("ablt",), "между": ("ablt",), "под": ("ablt",), "вслед": ("datv",),
}

# --- given names ---------------------------------------------------------------------------
# Kazakh given names seen in Russian text (pymorphy3 knows only some, with odd genders) and in
# Kazakh text (they guard the case-suffix stripper). Russian and Kazakh spellings.
KK_MALE = frozenset("""
турар тұрар жумабек жұмабек мухтар мұхтар сакен сәкен ахмет касым қасым алихан әлихан магжан
мағжан миржакып міржақып ильяс ілияс беимбет бейімбет смагул смағұл халел жусупбек жүсіпбек абай
шакарим шәкәрім нурлан нұрлан ерлан серик серік болат кайрат қайрат асхат тулеген төлеген отеген
өтеген даулет дәулет темирбек темірбек садуакас сәдуақас санжар мукан мұқан ораз габит ғабит
султан сұлтан нурсултан нұрсұлтан ерден сейден жанша мустафа мұстафа азамат берден
ермек бауыржан ерболат жұмабай жумабай әбдірахман абдрахман түбек тубек сәрсен сарсен берік берик
нұржан нуржан қанат канат марат ержан асқар аскар жақып жакып тұрсын турсун нұрлыбек нурлыбек
""".split())
KK_FEMALE = frozenset("""
бибигуль бибігүл айгуль айгүл гульнара гүлнар гүлнара зейнеп айша сара кульзипа күлзипа гульсара
гүлсара раушан макпал мақпал алма дина азиза әзиза жамал шолпан гульжан гүлжан гульсим гүлсім
динара куляш күләш роза майра сауле сәуле асем әсем назипа нәзипа зауре зәуре гульбахрам
мәлике малике ұлжан улжан ләззат ляззат айнұр айнур жанар баян ботагөз ботагоз сәния сания мәриям
мариям нұрила нурила ақмарал акмарал гүлбаршын гульбаршин күлпаш кулпаш әлия алия балжан бәтима батима
""".split())
GIVEN_NAMES = KK_MALE | KK_FEMALE
# Feminine name elements of Kazakh compounds ("Бибігүл", "Күлпаш", "Айжан"): a name ending in one is
# hers whatever its last letter, and a consonant-final one does not decline in Russian.
KK_FEMININE_ELEMENTS = ("гүл", "гуль", "гул", "күл", "куль", "айым", "ханым", "бану", "бике")
# Elements Kazakh given names are built from, his or hers ("Күлжамал", "Айсұлу", "Ерболат", "Жанбай").
KK_NAME_ELEMENTS = KK_FEMININE_ELEMENTS + ("жамал", "сұлу", "сулу", "бек", "бай", "хан", "жан", "ғали", "гали",
                                           "болат", "тай", "нұр", "нур", "айгүл", "сәуле", "дәмеш")
# Everyday forms of given names in letters and memoirs -> the names they stand for (folded spelling).
DIMINUTIVES = {pet: frozenset(full.split()) for pet, full in {
    "рая": "раиса", "маша": "мария", "маруся": "мария", "катя": "екатерина", "шура": "александра александр",
    "саша": "александра александр", "женя": "евгения евгений", "надя": "надежда", "люба": "любовь",
    "валя": "валентина", "галя": "галина", "зина": "зинаида", "тоня": "антонина", "аня": "анна", "оля": "ольга",
    "таня": "татьяна", "лида": "лидия", "соня": "софия софья", "фира": "эсфирь", "ниночка": "нина",
    "леля": "елена ольга", "лена": "елена", "дуся": "евдокия", "клава": "клавдия", "фрося": "ефросинья",
    "миша": "михаил", "петя": "петр", "ваня": "иван", "коля": "николай", "володя": "владимир", "сеня": "семен",
}.items()}

# A double surname written with a spaced dash ("Сейфуллина – Ахметова") or a dash without spaces.
SPACED_DASH = re.compile(rf"(?<=[{LETTERS}])(\s+[-–—]\s*|\s*[–—]\s*)(?=[{UPPER}])")
INITIAL = re.compile(rf"^[{UPPER}][a-zа-яё]?\.$")  # "Н.", "Ю.", "Ш." and the two-letter "Дж."


# --- small functions -----------------------------------------------------------------------
def fold(text: Optional[str]) -> str:
    """Compare names across Russian and Kazakh spellings: "Исқақов" ~ "Искаков"."""
    return (text or "").translate(_FOLD).lower().replace("ё", "е").strip(". ")


def to_cyrillic(word: str) -> str:
    """Latin look-alikes in a word that has Cyrillic letters -> Cyrillic ("Kравец" -> "Кравец")."""
    if re.search(rf"[А-Яа-яЁё{KK_LETTERS}]", word):
        return word.translate(LOOKALIKE_TO_CYRILLIC)
    return word


def edit_distance(a: str, b: str, limit: Optional[int] = None) -> int:
    """Levenshtein distance; with `limit`, any distance known to exceed it comes back as limit + 1."""
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def close(a: str, b: str) -> bool:
    """Same word, or one OCR slip apart in a long enough word."""
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and edit_distance(a, b, 1) <= 1


def is_patronymic(word: str) -> bool:
    w = word.lower()
    return bool(PATR_MASC.match(w) or PATR_FEMN.match(w) or PATR_TURKIC.search(w))


def patronymic_stem(word: str) -> str:
    """The father's name inside a patronymic, Russian or Kazakh form alike."""
    return PATRONYMIC_SUFFIX.sub("", fold(word))


def surname_part(a: str, b: str) -> bool:
    """ "Тухачевская" is one half of "Тухачевская-Аронштам"."""
    return a != b and ("-" in a or "-" in b) and (a in b.split("-") or b in a.split("-"))


def is_pet_form(pet: str, full: str) -> bool:
    """ "Рая" is "Раиса" as family and friends say it (folded spellings); the same name counts too."""
    return pet == full or full in DIMINUTIVES.get(pet, frozenset())


def kk_given_gender(word: str) -> Optional[str]:
    """'femn' / 'masc' for a Kazakh given name in the lexicon or built on a feminine element."""
    lw = word.lower()
    if lw in KK_FEMALE:
        return "femn"
    if lw in KK_MALE:
        return "masc"
    if len(lw) > 4 and lw.endswith(KK_FEMININE_ELEMENTS):
        return "femn"
    return None


_OV_MASC = re.compile(r"^(.+(?:ов|ев|ёв|ин|ын))$")
_OV_FEMN = re.compile(r"^(.+(?:ов|ев|ёв|ин|ын))а$")
_SKY = re.compile(r"^(.+[сц]к)(ий|ая)$")


def surname_of_gender(surname: str, gender: str) -> Optional[str]:
    """The nominative surname of the -ов/-ин or -ский family in the other gender ("Гаврилова" ->
    "Гаврилов" for "m", "Лунин" -> "Лунина" for "f"); None for a surname that has one form for
    both ("Шапиро", "Гуревич") or is already of that gender."""
    low = surname.lower()
    if gender == "m" and (m := _OV_FEMN.match(low)):
        out = m.group(1)
    elif gender == "f" and _OV_MASC.match(low):
        out = low + "а"
    elif (m := _SKY.match(low)) and m.group(2) != ("ий" if gender == "m" else "ая"):
        out = m.group(1) + ("ий" if gender == "m" else "ая")
    else:
        return None
    return surname[0] + out[1:] if surname[:1].isupper() else out


def gender_of_parts(surname: str, given: str, patronymic: str) -> Optional[str]:
    """'f' / 'm' from a nominative name's patronymic, surname ending or Kazakh given name; None when
    none of them says (pymorphy's view of a Russian given name is the caller's to add)."""
    patronymic = fold(patronymic)
    if len(patronymic) > 2:
        if patronymic.endswith(("вна", "чна", "кызы")):
            return "f"
        if patronymic.endswith(("вич", "ич", "улы", "уулу", "оглы")):
            return "m"
    surname = fold(surname).split("-")[0]
    if len(surname) > 3:
        if surname.endswith(SURNAME_FEMN):
            return "f"
        if surname.endswith(SURNAME_MASC):
            return "m"
    given = (given or "").lower()
    if len(given) > 2 and not given.endswith("."):
        kk = kk_given_gender(given)
        if kk:
            return kk[0]
    return None
