"""Common English given names and their nicknames, as data.

Each entry maps a formal name to its usual short forms. A nickname may belong to several formal
names (Alex: Alexander and Alexandra), which is why lookups return sets. Kept as plain data so a
reviewer can add a pair without touching matching code.
"""

from __future__ import annotations

from functools import cache

NICKNAMES: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "gail"),
    "albert": ("al", "bert"),
    "alexander": ("alex", "al", "sandy", "xander"),
    "alexandra": ("alex", "alexa", "sandra", "sandy", "lexi"),
    "alfred": ("al", "alf", "fred", "freddie"),
    "allison": ("allie", "ally"),
    "andrew": ("andy", "drew"),
    "angela": ("angie",),
    "anthony": ("tony", "ant"),
    "arthur": ("art", "artie"),
    "barbara": ("barb", "barbie", "babs"),
    "benjamin": ("ben", "benny", "benji"),
    "bernard": ("bernie",),
    "beverly": ("bev",),
    "bradley": ("brad",),
    "catherine": ("cathy", "kate", "katie", "cat"),
    "charles": ("charlie", "chuck", "chas", "chaz"),
    "charlotte": ("charlie", "lottie"),
    "christina": ("chris", "tina", "christy"),
    "christine": ("chris", "tina", "christy"),
    "christopher": ("chris", "kit", "topher"),
    "cynthia": ("cindy",),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davey"),
    "deborah": ("debbie", "deb", "debra"),
    "donald": ("don", "donnie"),
    "dorothy": ("dot", "dottie", "dolly"),
    "douglas": ("doug",),
    "edward": ("ed", "eddie", "ted", "ned"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "betsy", "lisa"),
    "emily": ("em", "emmy"),
    "eugene": ("gene",),
    "frances": ("fran", "frankie"),
    "francis": ("frank", "fran"),
    "frederick": ("fred", "freddie", "fritz"),
    "gabriel": ("gabe",),
    "gabriele": ("gabi", "gaby", "elli"),
    "gabriela": ("gabi", "gaby", "ella"),
    "gabrielle": ("gabi", "gaby", "elle"),
    "gerald": ("gerry", "jerry"),
    "gregory": ("greg",),
    "harold": ("harry", "hal"),
    "henry": ("hank", "harry", "hal"),
    "jacob": ("jake",),
    "johannes": ("hans", "jo", "johann", "hannes"),
    "josef": ("sepp", "joe", "beppo"),
    "ulrich": ("uli", "ulli"),
    "andreas": ("andi", "andy", "andre"),
    "sebastian": ("basti", "seb", "bastian"),
    "florian": ("flo",),
    "wolfgang": ("wolf", "wolfi"),
    "anton": ("toni", "tony"),
    "franziska": ("franzi", "fran"),
    "susanne": ("susi", "sanne"),
    "christiane": ("christa", "chris"),
    "sharon": ("shaz", "shazza"),
    "darren": ("daz", "dazza"),
    "barry": ("baz", "bazza"),
    "james": ("jim", "jimmy", "jamie"),
    "janet": ("jan",),
    "jeffrey": ("jeff",),
    "jennifer": ("jen", "jenny", "jenn"),
    "jessica": ("jess", "jessie"),
    "john": ("johnny", "jack", "jon"),
    "jonathan": ("jon", "jonny", "nate"),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "judith": ("judy",),
    "katherine": ("kate", "kathy", "katie", "kat", "kay", "kit"),
    "kathryn": ("kathy", "kate", "katie", "kat", "kay"),
    "katharina": ("kathi", "katja", "kati", "trina"),
    "kathleen": ("kathy", "kate", "katie"),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry",),
    "leonard": ("leo", "len", "lenny"),
    "margaret": ("maggie", "meg", "peggy", "marge", "greta"),
    "matthew": ("matt", "matty"),
    "magdalena": ("lena", "leni", "magda"),
    "melissa": ("mel", "missy"),
    "michael": ("mike", "mikey", "mick"),
    "nathan": ("nate",),
    "nathaniel": ("nate", "nat"),
    "nicholas": ("nick", "nicky"),
    "nicole": ("nikki", "nicky"),
    "pamela": ("pam",),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "philip": ("phil",),
    "phillip": ("phil",),
    "rebecca": ("becky", "becca"),
    "raymond": ("ray",),
    "rachel": ("rach", "rae"),
    "richard": ("rick", "ricky", "dick", "rich", "richie"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "ronald": ("ron", "ronnie"),
    "samantha": ("sam", "sammy"),
    "samuel": ("sam", "sammy"),
    "stephanie": ("steph", "steffi", "steffie"),
    "stefanie": ("steffi", "steffie", "steff"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "susie", "suzy"),
    "theodore": ("ted", "teddy", "theo"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "tori"),
    "vincent": ("vince", "vinny"),
    "walter": ("walt", "wally"),
    "william": ("bill", "billy", "will", "willy", "liam"),
    "zachary": ("zach", "zack"),
}


@cache
def _groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for formal, shorts in NICKNAMES.items():
        groups.setdefault(formal, set()).add(formal)
        for short in shorts:
            groups.setdefault(short, set()).add(formal)
    return {name: frozenset(formals) for name, formals in groups.items()}


def formal_names(first: str) -> frozenset[str]:
    """The formal names a (normalised, lower-case) given name may stand for; itself if unknown."""
    return _groups().get(first, frozenset({first}))


def same_given_name(a: str, b: str) -> bool:
    """True when two given names can be one person's: equal, or sharing a formal name."""
    return a == b or bool(formal_names(a) & formal_names(b))
