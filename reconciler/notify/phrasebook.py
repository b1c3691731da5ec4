"""The reasons and findings of results in the reader's language.

Reasons and findings are written once, in English, when a result is judged (reconciler/reasons.py,
each check type's `reason`, compare/findings/): the JSON, the HTML and the terminal show them
as stored. A Slack message is rendered later, in `notify.locale`; for Spanish its reasons and
findings go through this phrasebook: the sentence shapes those modules write, phrase by phrase,
then the words left over. Names are never translated: `code`, 'quoted' text, URLs, and
identifiers (with `_`, `.`, `-` or digits: check, job, dataset and column names) are kept
as they are. Raw error messages of a database are quoted by our own messages' shapes and kept.
Pure functions."""

from __future__ import annotations

import re

N = r"[−+\-]?\d[\d\u00a0.,]*"  # a number as reconciler.formatting writes it
KEEP = re.compile(r"`[^`]*`|(?<!\w)'[^']*'(?!\w)|<[^>]*>|\w+://\S+|\S*(?:_|\d|\w[.:]\w)\S*|\b\w+-\w[\w-]*")

LABEL = {"missing": "faltantes", "extra": "sobrantes", "changed": "cambiadas", "differing": "distintas"}
SIDE = {"new": "el nuevo", "old": "el viejo"}


def _label(m: re.Match, group: str = "label", count: str | None = None) -> str:
    """The row class in Spanish, singular after a count of one ("1 faltante")."""
    label = LABEL.get(m.group(group), m.group(group))
    return label[:-1] if count is not None and count.strip() == "1" and label.endswith("s") else label


def _side(m: re.Match, group: str = "side") -> str:
    return SIDE.get(m.group(group), m.group(group))


def _plural(n: str, one: str, many: str) -> str:
    return one if n.strip() == "1" else many


# (pattern, replacement) in order: whole shapes first, then phrases, then single words.
SPANISH: list[tuple[str, object]] = [
    # -- errors and messages of our own
    (r"source ('[^']*') (\(.*?\) )?is unreachable", r"la fuente \1 \2no está accesible"),
    (r"(\S+) could not be evaluated: ", r"\1 no pudo evaluarse: "),
    (r"\bcould not run\b", "no pudo ejecutarse"),
    (r"\bnot judged by this check\b", "este control no la juzga"),
    (r"\bnot judged\b", "sin juzgar"),
    (r"\bno events in this hour\b", "ningún evento en esta hora"),
    (r"\bno rows on either side\b", "sin filas en ningún lado"),
    (r"\bno writes measured\b", "ninguna escritura medida"),
    (r"\bno request measured in this hour\b", "ninguna petición medida en esta hora"),
    (r"\btruncated by the row budget\b", "cortado por el presupuesto de filas"),
    # -- findings (compare/findings/)
    (rf"all (?P<n>{N}) rows of the hour are only in new: old has no row in this hour",
     r"las \g<n> filas de la hora están solo en el nuevo: el viejo no tiene ninguna fila en esta hora"),
    (rf"all (?P<n>{N}) rows of the hour are missing: new has no row in this hour",
     r"faltan las \g<n> filas de la hora: el nuevo no tiene ninguna fila en esta hora"),
    (rf"spread through the hour: about (?P<p>{N}\s?%) of the hour's rows (?P<label>\w+), at random",
     lambda m: f"repartidas por la hora: cerca del {m['p']} de las filas de la hora {_label(m)}, al azar"),
    (rf"(?P<all>all|(?P<k>{N}) of) (?P<n>{N}) (?P<label>missing|extra|changed|differing) rows fall between "
     rf"(?P<a>[\d:]+) and (?P<b>[\d:]+)",
     lambda m: (f"{'las' if m['all'] == 'all' else m['k'] + ' de'} {m['n']} filas {_label(m)} caen entre "
                f"{m['a']} y {m['b']}")),
    (r", where (?P<side>new|old) has no row at all: a gap of ",
     lambda m: f", donde {_side(m)} no tiene ninguna fila: un hueco de "),
    (rf", a span holding (?P<p>{N}\s?%) of the hour's rows", r", un tramo con el \g<p> de las filas de la hora"),
    (rf"; (?P<side>new|old) has (?P<n>{N}) rows there", lambda m: f"; {_side(m)} tiene {m['n']} filas ahí"),
    (rf"\((?P<x>{N})× the hour's rate\); the rest spread", r"(\g<x>× el ritmo de la hora); el resto repartido"),
    (rf"all (?P<n>{N}) (?P<label>missing|extra|changed|differing) rows have ",
     lambda m: f"las {m['n']} filas {_label(m)} tienen "),
    (rf"all (?P<n>{N}) (?P<label>missing|extra|changed|differing) rows from (?P<k>{N}) of (?P<v>(at least )?{N}) ",
     lambda m: f"las {m['n']} filas {_label(m)} vienen de {m['k']} de {m['v']} valores de "),
    (r"\bat least\b", "al menos"),
    (r"\svalues\b", ""),
    (r" alone ", " sola: "),
    (r"over-represented: ", "sobrerrepresentado: "),
    (r"of the (?P<label>missing|extra|changed|differing) rows", lambda m: f"de las filas {_label(m)}"),
    (r"of the hour's rows", "de las filas de la hora"),
    (r"\bof the hour\b", "de la hora"),
    (rf"the hour's counts are equal \((?P<n>{N})\), yet (?P<m>{N}) rows are missing and (?P<e>{N}) extra: "
     r"only the rows tell",
     r"los conteos de la hora son iguales (\g<n>), pero faltan \g<m> filas y sobran \g<e>: solo las filas lo dicen"),
    (rf"the hour's counts are (?P<o>{N}) old, (?P<n>{N}) new, yet (?P<m>{N}) rows are missing and (?P<e>{N}) extra: "
     r"only the rows tell",
     r"los conteos de la hora son \g<o> en el viejo y \g<n> en el nuevo, pero faltan \g<m> filas y sobran \g<e>: "
     r"solo las filas lo dicen"),
    (rf"(?P<n>{N}) changed: ", lambda m: f"{m['n']} {_plural(m['n'], 'cambiada', 'cambiadas')}: "),
    (rf"(?P<c>`[^`]+`) in (?P<n>{N}) \(", r"\g<c> en \g<n> ("),
    (r"rounded to an integer", "redondeado a entero"),
    (rf"rounded to (?P<n>{N}) decimals?", r"redondeado a \g<n> decimales"),
    (r"\(a unit\)", "(una unidad)"),
    (r"shifted by (.+?) \(a time zone\)", r"desplazado \1 (una zona horaria)"),
    (r"truncated to the second \(precision lost\)", "truncado al segundo (precisión perdida)"),
    (r"truncated to the millisecond \(precision lost\)", "truncado al milisegundo (precisión perdida)"),
    (r" exactly \(constant offset\)", " exactamente (desfase constante)"),
    (r"\(one new value\)", "(un único valor nuevo)"),
    (rf"…and (?P<n>{N}) more", r"…y \g<n> más"),
    (rf"\band (?P<n>{N}) more\b", r"y \g<n> más"),
    # -- reasons (reconciler/reasons.py and the check types)
    (rf"\bdrift (?P<d>{N}) % (?P<w>within|outside) ",
     lambda m: f"desviación {m['d']} % {'dentro de' if m['w'] == 'within' else 'fuera de'} "),
    (rf"\bdrift undefined in (?P<n>{N}) hours? with no events in old \(",
     lambda m: f"desviación indefinida en {m['n']} {_plural(m['n'], 'hora', 'horas')} sin eventos en el viejo ("),
    (r"\bdrift undefined \(", "desviación indefinida ("),
    (r"\bjudged by (?=\S)", "la juzga "),
    (rf"\bdrift defined \((?P<d>{N}) %\)", r"desviación definida (\g<d> %)"),
    (r"\bdrift defined in all\b", "desviación definida en todas"),
    (r"\bdrift within\b", "desviación dentro de"),
    (rf"\bdrift (?P<d>{N}) %", r"desviación \g<d> %"),
    (rf"equal counts \((?P<n>{N})\)", r"conteos iguales (\g<n>)"),
    (r"\(equal counts in every hour\)", "(conteos iguales en cada hora)"),
    (rf"\(largest (?P<d>{N}) % at (?P<h>[\d:]+)\)", r"(la mayor \g<d> % a las \g<h>)"),
    (rf"(?P<n>{N}) (?P<more>fewer|more) (?P<noun>events|rows) in new",
     lambda m: f"{m['n']} {'eventos' if m['noun'] == 'events' else 'filas'} "
               f"{'menos' if m['more'] == 'fewer' else 'más'} en el nuevo"),
    (rf"no (?P<noun>events|rows) in (?P<side>new|old), (?P<n>{N}) in (?P<other>new|old)",
     lambda m: (f"{'ningún evento' if m['noun'] == 'events' else 'ninguna fila'} en {_side(m)}, "
                f"{m['n']} en {_side(m, 'other')}")),
    (rf"\bmatch (?P<p>{N}) % (?P<op>≥|<|within|outside) ",
     lambda m: f"coincidencia {m['p']} % {dict(within='dentro de', outside='fuera de').get(m['op'], m['op'])} "),
    (rf"\bmatch (?P<p>{N}) %", r"coincidencia \g<p> %"),
    (rf": (?P<a>{N}) of (?P<b>{N}) rows? differ", lambda m: f": difieren {m['a']} de {m['b']} "
                                                              f"{_plural(m['b'], 'fila', 'filas')}"),
    (rf"(?P<n>{N}) (?P<label>missing|extra|changed)\b(?! rows)", lambda m: f"{m['n']} {_label(m, count=m['n'])}"),
    (r"row comparison cut short by its budget: some rows were not compared",
     "comparación de filas cortada por su presupuesto: algunas filas no se compararon"),
    (r"\bcomplete \(not cut short\)", "completa (sin cortar)"),
    (r"\bevery row compared in all\b", "todas las filas comparadas en todas"),
    (r"\bevery row compared\b", "todas las filas comparadas"),
    (r", required ", ", se requiere "),
    (r"not evaluated: it judges only hours where (?P<w>.+?), not this one",
     r"sin evaluar: solo juzga las horas donde \g<w>, y esta no lo es"),
    (rf"not evaluated: it judges only hours where (?P<w>.+?), none of these (?P<n>{N})",
     r"sin evaluar: solo juzga las horas donde \g<w>, y ninguna de estas \g<n> lo es"),
    (rf"(?P<a>{N}) of (?P<b>{N}) hours? where (?P<w>.+?) fail: ",
     lambda m: f"{_plural(m['a'], 'falla', 'fallan')} {m['a']} de {m['b']} {_plural(m['b'], 'hora', 'horas')} "
               f"donde {m['w']}: "),
    (r"\bin the only hour where\b", "en la única hora donde"),
    (rf"(?P<a>{N}) of (?P<b>{N}) hours? fail: ",
     lambda m: f"{_plural(m['a'], 'falla', 'fallan')} {m['a']} de {m['b']} {_plural(m['b'], 'hora', 'horas')}: "),
    (r", every hour ", ", cada hora "),
    (rf"\bin all (?P<n>{N}) hours?\b", lambda m: "en la hora" if m["n"] == "1" else f"en las {m['n']} horas"),
    (rf"\bin all (?P<n>{N}) rows?\b", lambda m: "en la fila" if m["n"] == "1" else f"en las {m['n']} filas"),
    (rf"(?P<n>{N}) rows? missing or changed in new",
     lambda m: f"{m['n']} {_plural(m['n'], 'fila faltante o cambiada', 'filas faltantes o cambiadas')} en el nuevo"),
    (r"every selected old row is in new, unchanged", "cada fila seleccionada del viejo está en el nuevo, sin cambios"),
    (rf"(?P<n>{N}) only in new \(allowed\)",
     lambda m: f"{m['n']} solo en el nuevo ({_plural(m['n'], 'permitida', 'permitidas')})"),
    (rf"all (?P<n>{N}) groups? equal on old and new", r"los \g<n> grupos iguales en el viejo y el nuevo"),
    (rf"(?P<a>{N}) of (?P<b>{N}) groups? differ between old and new",
     lambda m: f"{_plural(m['a'], 'difiere', 'difieren')} {m['a']} de {m['b']} {_plural(m['b'], 'grupo', 'grupos')} "
               "entre el viejo y el nuevo"),
    (rf"(?P<a>{N}) old vs (?P<b>{N}) new rows", r"\g<a> filas en el viejo frente a \g<b> en el nuevo"),
    (r"\bdistinct (?P<c>\S+) ", r"\g<c> distintos: "),
    (rf"(?P<a>{N}) old vs (?P<b>{N}) new", r"\g<a> en el viejo frente a \g<b> en el nuevo"),
    (rf"newest event (?P<n>{N}) s old, ", r"evento más reciente de hace \g<n> s, "),
    (r"no event in the new system", "ningún evento en el sistema nuevo"),
    (rf"\b(?P<p>p\d+) lag (?P<n>{N}) s ", r"retraso \g<p> \g<n> s "),
    (rf"\b(?P<p>p\d+) write latency (?P<n>{N}) ms ", r"latencia de escritura \g<p> \g<n> ms "),
    (rf"above the (?P<n>{N}) (?P<u>\S+) allowed", r"por encima de los \g<n> \g<u> permitidos"),
    (rf"\((?P<n>{N}) events?\)", lambda m: f"({m['n']} {_plural(m['n'], 'evento', 'eventos')})"),
    (rf"\((?P<n>{N}) writes?\)", lambda m: f"({m['n']} {_plural(m['n'], 'escritura', 'escrituras')})"),
    (r"dead-letter queue", "cola de mensajes fallidos"),
    (rf" holds (?P<n>{N}) messages?", lambda m: f" tiene {m['n']} {_plural(m['n'], 'mensaje', 'mensajes')}"),
    (rf", more than the (?P<n>{N}) allowed", r", más de los \g<n> permitidos"),
    (rf"\(at most (?P<n>{N})\)", r"(como mucho \g<n>)"),
    (r"\bduplicate bookings?\b", lambda m: "reservas duplicadas" if m[0].endswith("s") else "reserva duplicada"),
    (r"\boverlapping pairs? of bookings\b",
     lambda m: "parejas de reservas solapadas" if "pairs" in m[0] else "pareja de reservas solapadas"),
    (r"\boverlapping bookings?\b", lambda m: "reservas solapadas" if m[0].endswith("s") else "reserva solapada"),
    (rf"(?P<n>{N}) new (?P<noun>[^(;]+?)(?= \(|$|;)", lambda m: f"{m['n']} {_plural(m['n'], 'nueva', 'nuevas')}: {m['noun']}"),
    (r"\bno new ", "ninguna nueva: "),
    (rf"\((?P<i>{N}) inherited from old\)", lambda m: f"({m['i']} {_plural(m['i'], 'heredada', 'heredadas')} del viejo)"),
    (r" on old or new\b", " en el viejo o el nuevo"),
    (r" on (?P<side>new|old|both)\b", lambda m: f" en {SIDE.get(m['side'], 'ambos')}"),
    (r"\(a warning rule: counted, not failed\)", "(una regla de aviso: se cuenta, no falla)"),
    (r"\bviolations? of\b", lambda m: "violaciones de" if m[0].startswith("violations") else "violación de"),
    (rf"(?P<n>{N}) violations?", lambda m: f"{m['n']} {_plural(m['n'], 'violación', 'violaciones')}"),
    (r" matches its raw table in every hour", " coincide con su tabla base en cada hora"),
    (r" differs from its raw table in ", " difiere de su tabla base en "),
    (rf"(?P<a>{N}) vs (?P<b>{N}) rows", r"\g<a> frente a \g<b> filas"),
    (r"\bnot null\b", "no nulo"),
    (r"\bunique\b", "único"),
    (r"\bmatches\b", "cumple"),
    (rf"(?P<n>{N}) of (?P<r>{N}) rows? fail: ",
     lambda m: f"{_plural(m['n'], 'falla', 'fallan')} {m['n']} de {m['r']} {_plural(m['r'], 'fila', 'filas')}: "),
    (rf"(?P<n>{N}) rows? fail: ", lambda m: f"{_plural(m['n'], 'falla 1 fila', 'fallan ' + m['n'] + ' filas')}: "),
    (r": holds\b", ": se cumple"),
    (r"\bobserved\b", "observado"),
    (r"\bthreshold\b", "umbral"),
    (r"\(allowed: ", "(permitido: "),
    (r"\boutside\b", "fuera de"),
    (r"\bwithin\b", "dentro de"),
    (r"\bpassed\b", "pasó"),
    (r"\bin new\b", "en el nuevo"),
    (r"\bin old\b", "en el viejo"),
    (r"\bonly in\b", "solo en"),
]

# Words a shape above did not cover: a plain word-for-word fallback, so that no English is left.
WORDS = {
    "rows": "filas", "row": "fila", "missing": "faltantes", "extra": "sobrantes", "changed": "cambiadas",
    "events": "eventos", "event": "evento", "hours": "horas", "hour": "hora", "of": "de", "the": "el",
    "and": "y", "in": "en", "all": "todas", "new": "nuevo", "old": "viejo", "between": "entre", "at": "a",
    "differ": "difieren", "fail": "fallan", "failed": "falló", "more": "más", "fewer": "menos", "only": "solo",
    "every": "cada", "since": "desde", "to": "a", "from": "de", "with": "con", "not": "no",
    "is": "es", "are": "son", "has": "tiene", "have": "tienen", "than": "que", "or": "o", "on": "en",
    "rule": "regla", "rules": "reglas", "value": "valor", "group": "grupo", "groups": "grupos",
    "violation": "violación", "violations": "violaciones", "messages": "mensajes", "message": "mensaje",
    "allowed": "permitido", "required": "requerido", "match": "coincidencia", "drift": "desviación",
    "lag": "retraso", "latency": "latencia", "write": "escritura", "writes": "escrituras", "key": "clave",
    "booking": "reserva", "bookings": "reservas", "overlapping": "solapadas", "duplicate": "duplicada",
    "counts": "conteos", "equal": "iguales", "where": "donde", "above": "por encima de", "below": "por debajo de",
}


DECIMAL = re.compile(r"(?<![\w.,\u00a0])([−+\-]?\d[\d\u00a0]*)\.(\d+)(?![\w.])")
LITERAL = re.compile(r"`[^`]*`|<[^>]*>|\w+://\S+|(?<!\w)'[^']*'(?!\w)")  # code, links and quotes: kept as written


def decimal_comma(text: str) -> str:
    """Spanish writes a decimal comma: "99.95 %" -> "99,95 %" (digit groups stay a no-break
    space); code, links, quotes and names with a point in them (v1.2, 10.0.0.1) are kept."""
    out, last = [], 0
    for m in LITERAL.finditer(text):
        out.append(DECIMAL.sub(r"\1,\2", text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(DECIMAL.sub(r"\1,\2", text[last:]))
    return "".join(out)


RAW_TAIL = re.compile(r"(?P<head>.*?(?:could not be evaluated|could not run|not judged): )(?P<raw>.*)$", re.S)


def _translate(text: str, rules, words: dict) -> str:
    """The shapes, then the words."""
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    out, last = [], 0
    for m in KEEP.finditer(text):  # word by word outside names, code and quotes
        out.append(_words(text[last:m.start()], words))
        out.append(m.group(0))
        last = m.end()
    out.append(_words(text[last:], words))
    return "".join(out)


def _words(text: str, words: dict) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: words.get(m.group(0).lower(), m.group(0)), text)


PHRASEBOOKS = {"es": (SPANISH, WORDS)}


def in_locale(text: str | None, locale: str) -> str | None:
    """A stored English reason or finding as the `locale` reader reads it (as it is in English)."""
    if not text or locale not in PHRASEBOOKS:
        return text
    rules, words = PHRASEBOOKS[locale]
    raw = RAW_TAIL.match(text)  # an error's own message (after "could not run: ") is kept as written
    if raw:
        return decimal_comma(_translate(raw["head"], rules, words)) + raw["raw"]
    return decimal_comma(_translate(text, rules, words))


def words_in(locale: str):
    """`in_locale` as the `words` a check type's `reason(result, words)` takes."""
    return lambda text: in_locale(text, locale)


ITEM_WORDS = {"es": [  # notify/items.py's words; the columns and values are the data's and stay as they are
    (r"^• hour (\S+): ", r"• hora \1: "),
    (r"(?<=[:;] )drift ", "desviación "),
    (r"(?<=[:;] )match ", "coincidencia "),
    (r": missing in new$", ": falta en el nuevo"),
    (r": only in new$", ": solo en el nuevo"),
    (r"^• new(?=: | — )", "• nueva"),
    (r"^• inherited from old(?=: | — )", "• heredada del viejo"),
]}


def item_in_locale(item: str, locale: str) -> str:
    """A sample's line (notify/items.py) as the `locale` reader reads it: only our own words."""
    for pattern, replacement in ITEM_WORDS.get(locale, []):
        item = re.sub(pattern, replacement, item)
    return _item_numbers(item) if locale == "es" else item


def _item_numbers(item: str) -> str:
    """Our own measures in a sample's line get the decimal comma; the data's values stay as stored."""
    return re.sub(r"(?<=: )(desviación|coincidencia) (\S+)", lambda m: f"{m[1]} {decimal_comma(m[2])}", item)
