"""Every sentence the Slack messages say, in English and in Spanish (the plan's team writes
Spanish). Keys are the same in both; a test checks that no key is missing from either."""

from __future__ import annotations

LOCALES = ("en", "es")

TEXTS = {
    "en": {
        "alert.data.title": "🔴 Data check failing: {check}",
        "alert.data.intro": "*{job}* found a difference between the old and the new system{on_dataset}.",
        "alert.tool.title": "⚠️ The checker is broken: {job} could not run",
        "alert.tool.check_title": "⚠️ The checker is broken: {check} could not be evaluated ({job})",
        "items.tool.title": "*What failed*",
        "resolved.tool.check_title": "✅ Resolved: {check} is evaluated again ({job})",
        "alert.tool.intro": ("This is a fault of the reconciler itself, *not a verdict on the data*: "
                             "the hour was not judged and will be judged again on the next run."),
        "on_dataset": " in *{dataset}*",
        "field.reason": "*Reason*",
        "field.worst_hour": "*Worst hour*",
        "field.hour": "*Hour*",
        "digest.checker": "the checker",
        "field.window": "*Window*",
        "field.violations": "*Violations*",
        "field.job": "*Job*",
        "field.report": "*Report*",
        "field.since": "*Since*",
        "report_link": "<{link}|open the report>",
        "report_path": "`{link}`",
        "items.title": "*What differs*",
        "more": "…and {n} more",
        "more_link": "…and {n} more, see <{link}|the full report>",
        "more_path": "…and {n} more, see the full report: `{link}`",
        "followup.data": ("🔁 Still failing: *{check}* in hour {hour} ({failures} failing runs, "
                          "failed hours so far: {hours})."),
        "followup.tool": "🔁 The checker still cannot run *{job}* (hour {hour}): {reason}",
        "reminder.data": ("⏰ Reminder: *{check}* has been failing since {since}: {failures} failing runs, "
                          "failed hours: {hours}. Latest hour: {hour}."),
        "reminder.tool": ("⏰ Reminder: the checker has not been able to run *{job}* since {since} "
                          "({failures} attempts)."),
        "recovered.data": ("✅ Recovered: *{check}* passes again (hour {hour}). It failed for {duration}, "
                           "failed hours: {hours}."),
        "recovered.tool": "✅ The checker works again: *{job}* ran (hour {hour}) after {duration} broken.",
        "resolved.data.title": "✅ Resolved: {check}",
        "resolved.tool.title": "✅ Resolved: the checker runs {job} again",
        "resolved.summary": "Lasted {duration} ({since} → {until}); failed hours: {hours}.",
        "changed.title": "🔄 Rechecked hour {hour}: *{check}* is now *{after}* (was {before}).",
        "changed.reason": "Reason: {reason}",
        "status.pass": "passing",
        "status.fail": "failing",
        "status.error": "not judged (checker error)",
        "status.skipped": "skipped",
        "digest.title": "📋 Daily update, {date}",
        "digest.status": "*Status:* {status}",
        "digest.status.green": "🟢 on track: every judged hour passed and no alert is open",
        "digest.status.yellow": "🟡 attention: {failed} failed hours in the last 24 h, no alert open now",
        "digest.status.red": "🔴 blocked: {open} open alerts",
        "digest.hours.title": "*Last 24 hours, hour by hour* (judged / failed / empty / missing)",
        "digest.hours.totals": "Totals: {judged} judged, {failed} failed, {empty} empty, {missing} missing",
        "digest.changed.title": "*What changed*",
        "digest.changed.opened": "opened: {check} ({job}) at {at}",
        "digest.changed.resolved": "resolved: {check} ({job}) at {at}",
        "digest.changed.none": "no alert opened or resolved",
        "digest.issues.title": "*Issues*",
        "digest.issues.none": "none open",
        "digest.issue": "{check} ({job}): failing since {since}, failed hours: {hours}",
        "digest.issue.tool": "the checker cannot run {job} since {since}",
        "digest.worst.title": "*Worst numbers*",
        "digest.worst.drift": "largest drift: {drift} % in {dataset} at {hour}",
        "digest.worst.none": "no drift measured",
        "digest.next.title": "*Next steps*",
        "digest.next.fix": "investigate {check} ({job}): {reason}",
        "digest.next.tool": "fix the checker for {job}: {reason}",
        "digest.next.missing": "judge the {missing} missing hours (`reconciler run JOB`)",
        "digest.next.keep": "keep shadow mode running; nothing to do",
        "digest.gate.title": "*Gate*",
        "digest.gate": "{state}: {summary}",
        "test.title": "👋 reconciler test message",
        "test.body": "This channel will receive the migration's alerts and daily updates ({mode}).",
        "mode.bot": "bot token",
        "mode.webhook": "incoming webhook",
        "mode.none": "not sent: no Slack token or webhook is set",
        "hours_unit": "{n} h",
        "minutes_unit": "{n} min",
        "days_unit": "{n} d",
    },
    "es": {
        "alert.data.title": "🔴 Falla un chequeo de datos: {check}",
        "alert.data.intro": "*{job}* encontró una diferencia entre el sistema viejo y el nuevo{on_dataset}.",
        "alert.tool.title": "⚠️ El verificador está roto: {job} no pudo ejecutarse",
        "alert.tool.check_title": "⚠️ El verificador está roto: {check} no pudo evaluarse ({job})",
        "items.tool.title": "*Qué falló*",
        "resolved.tool.check_title": "✅ Resuelto: {check} vuelve a evaluarse ({job})",
        "alert.tool.intro": ("Es una falla del propio reconciliador, *no un veredicto sobre los datos*: "
                             "la hora no fue juzgada y se juzgará de nuevo en la próxima ejecución."),
        "on_dataset": " en *{dataset}*",
        "field.reason": "*Motivo*",
        "field.worst_hour": "*Peor hora*",
        "field.hour": "*Hora*",
        "digest.checker": "el verificador",
        "field.window": "*Ventana*",
        "field.violations": "*Violaciones*",
        "field.job": "*Tarea*",
        "field.report": "*Reporte*",
        "field.since": "*Desde*",
        "report_link": "<{link}|abrir el reporte>",
        "report_path": "`{link}`",
        "items.title": "*Qué difiere*",
        "more": "…y {n} más",
        "more_link": "…y {n} más, ver <{link}|el reporte completo>",
        "more_path": "…y {n} más, ver el reporte completo: `{link}`",
        "followup.data": ("🔁 Sigue fallando: *{check}* en la hora {hour} ({failures} ejecuciones con falla, "
                          "horas falladas hasta ahora: {hours})."),
        "followup.tool": "🔁 El verificador sigue sin poder ejecutar *{job}* (hora {hour}): {reason}",
        "reminder.data": ("⏰ Recordatorio: *{check}* falla desde {since}: {failures} ejecuciones con falla, "
                          "horas falladas: {hours}. Última hora: {hour}."),
        "reminder.tool": ("⏰ Recordatorio: el verificador no puede ejecutar *{job}* desde {since} "
                          "({failures} intentos)."),
        "recovered.data": ("✅ Recuperado: *{check}* vuelve a pasar (hora {hour}). Falló durante {duration}, "
                           "horas falladas: {hours}."),
        "recovered.tool": "✅ El verificador funciona de nuevo: *{job}* se ejecutó (hora {hour}) tras {duration} roto.",
        "resolved.data.title": "✅ Resuelto: {check}",
        "resolved.tool.title": "✅ Resuelto: el verificador vuelve a ejecutar {job}",
        "resolved.summary": "Duró {duration} ({since} → {until}); horas falladas: {hours}.",
        "changed.title": "🔄 Hora {hour} rechequeada: *{check}* ahora está *{after}* (antes: {before}).",
        "changed.reason": "Motivo: {reason}",
        "status.pass": "pasando",
        "status.fail": "fallando",
        "status.error": "sin juzgar (error del verificador)",
        "status.skipped": "omitido",
        "digest.title": "📋 Actualización diaria, {date}",
        "digest.status": "*Estado:* {status}",
        "digest.status.green": "🟢 en curso: todas las horas juzgadas pasaron y no hay alertas abiertas",
        "digest.status.yellow": ("🟡 atención: {failed} horas falladas en las últimas 24 h, "
                                 "ninguna alerta abierta ahora"),
        "digest.status.red": "🔴 bloqueado: {open} alertas abiertas",
        "digest.hours.title": "*Últimas 24 horas, hora por hora* (juzgadas / falladas / vacías / faltantes)",
        "digest.hours.totals": "Totales: {judged} juzgadas, {failed} falladas, {empty} vacías, {missing} faltantes",
        "digest.changed.title": "*Qué cambió*",
        "digest.changed.opened": "abierta: {check} ({job}) a las {at}",
        "digest.changed.resolved": "resuelta: {check} ({job}) a las {at}",
        "digest.changed.none": "ninguna alerta abierta ni resuelta",
        "digest.issues.title": "*Problemas*",
        "digest.issues.none": "ninguno abierto",
        "digest.issue": "{check} ({job}): falla desde {since}, horas falladas: {hours}",
        "digest.issue.tool": "el verificador no puede ejecutar {job} desde {since}",
        "digest.worst.title": "*Peores cifras*",
        "digest.worst.drift": "mayor desviación: {drift} % en {dataset} a las {hour}",
        "digest.worst.none": "sin desviación medida",
        "digest.next.title": "*Próximos pasos*",
        "digest.next.fix": "investigar {check} ({job}): {reason}",
        "digest.next.tool": "reparar el verificador de {job}: {reason}",
        "digest.next.missing": "juzgar las {missing} horas faltantes (`reconciler run JOB`)",
        "digest.next.keep": "mantener el modo sombra; nada que hacer",
        "digest.gate.title": "*Compuerta*",
        "digest.gate": "{state}: {summary}",
        "test.title": "👋 mensaje de prueba de reconciler",
        "test.body": "Este canal recibirá las alertas y las actualizaciones diarias de la migración ({mode}).",
        "mode.bot": "token de bot",
        "mode.webhook": "webhook entrante",
        "mode.none": "no enviado: no hay token ni webhook de Slack",
        "hours_unit": "{n} h",
        "minutes_unit": "{n} min",
        "days_unit": "{n} d",
    },
}


class Texts:
    """`t("alert.data.title", check=...)` in one locale."""

    def __init__(self, locale: str = "en"):
        if locale not in TEXTS:
            raise ValueError(f"unknown locale {locale!r} (use one of: {', '.join(LOCALES)})")
        self.locale = locale
        self.table = TEXTS[locale]

    def __call__(self, key: str, **values) -> str:
        return self.table[key].format(**values)

    def duration(self, seconds: float) -> str:
        minutes = max(0, int(round(seconds / 60)))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = []
        if days:
            parts.append(self("days_unit", n=days))
        if hours:
            parts.append(self("hours_unit", n=hours))
        if minutes or not parts:
            parts.append(self("minutes_unit", n=minutes))
        return " ".join(parts)
