"""Every sentence the Slack messages say, in English and in Spanish (the plan's team writes
Spanish). Keys are the same in both; a test checks that no key is missing from either."""

from __future__ import annotations

import string

LOCALES = ("en", "es")

TEXTS = {
    "en": {
        "alert.data.title": "🔴 Data check failing: {check}",
        "alert.data.intro": "*{job}* found a difference between the old and the new system{on_dataset}.",
        "alert.rule.title": "🔴 Rule violated: {check}",
        "alert.measure.title": "🔴 Out of bounds: {check}",
        "alert.measure.intro": "*{job}* measured *{check}* in the pipeline, outside its bound.",
        "alert.traffic.title": "🔴 Traffic alert: {check}",
        "alert.traffic.intro": "*{job}*'s traffic check *{check}* raised the plan's alert{on_dataset}: {breached}.",
        "alert.traffic.error_rate": "the new system's error rate more than {max_error_rate_increase_points} points above the old's",
        "alert.traffic.p99_latency": "the new system's p99 above {max_p99_ratio} × the old's",
        "alert.traffic.discrepancy": "more than {max_discrepancy_pct} % of the hour's compared rows differ",
        "alert.rule.intro": "*{job}* checked the rule *{check}*{where} and found rows that break it.",
        "rule.on.new": " on the new system",
        "rule.on.old": " on the old system",
        "rule.on.both": " on each system (the violations the old one has too are counted as inherited)",
        "alert.tool.title": "⚠️ The checker is broken: {job} could not run",
        "alert.tool.check_title": "⚠️ The checker is broken: {check} could not be evaluated ({job})",
        "items.tool.title": "*What failed*",
        "resolved.tool.check_title": "✅ Resolved: {check} is evaluated again ({job})",
        "alert.tool.intro": ("The check could not run (an unreachable source, or a query or rule that fails: "
                             "the reason says which), *not a verdict on the data*: the hour was not judged "
                             "and will be judged again on the next run."),
        "on_dataset": " in *{dataset}*",
        "field.reason": "*Reason*",
        "field.worst_hour": "*Worst hour*",
        "field.hour": "*Hour*",
        "field.as_of": "*Checked at*",
        "field.window": "*Window*",
        "field.violations": "*Violations*",
        "field.job": "*Job*",
        "field.report": "*Report*",
        "field.since": "*Since*",
        "report_link": "<{link}|open the report>",
        "report_path": "`{link}`",
        "items.title": "*What differs*",
        "items.rule.title": "*Rows that break it*",
        "more": "…and {n} more",
        "more_link": "…and {n} more, see <{link}|the full report>",
        "more_path": "…and {n} more, see the full report: `{link}`",
        "followup.data": ("🔁 Still failing: *{check}* failed hour {hour} too ({hours:# failed hour|# failed hours} since "
                          "{since})."),
        "followup.data.value": ("🔁 Still failing: *{check}* changed in hour {hour}: {violations:# violation|# violations}, "
                                "was {previous}."),
        "followup.moment": ("🔁 Still failing: *{check}* at {hour}: {violations:# violation|# violations}, was {previous} "
                            "(failed {failures:once|# times} since {since})."),
        "followup.moment.measure": ("🔁 Still failing: *{check}* at {hour}: {reason} (failed {failures:once|# times} "
                                    "since {since})."),
        "followup.tool": "🔁 The checker still cannot run *{job}* ({hour}): {reason}",
        "reminder.data": ("⏰ Reminder: *{check}* has been failing since {since}: failed hours: {hours}, "
                          "the latest {hour}."),
        "reminder.moment": ("⏰ Reminder: *{check}* has been failing since {since}: failed {failures:once|# times}, "
                            "the latest at {hour}."),
        "reminder.moment.measure": ("⏰ Reminder: *{check}* has been failing since {since}: failed "
                                    "{failures:once|# times}, the latest at {hour}."),
        "reminder.tool": ("⏰ Reminder: the checker has not been able to run *{job}* since {since} "
                          "({failures:# attempt|# attempts})."),
        "recovered.data": ("✅ Recovered: *{check}* passes again (hour {hour}). It failed for {duration}, "
                           "failed hours: {hours}."),
        "recovered.moment": ("✅ Recovered: *{check}* passes again ({hour}). It failed {failures:once|# times} over "
                             "{duration}."),
        "recovered.tool": "✅ The checker works again: *{job}* ran ({hour}) after {duration} broken.",
        "resolved.data.title": "✅ Resolved: {check}",
        "resolved.tool.title": "✅ Resolved: the checker runs {job} again",
        "resolved.summary": "Lasted {duration} ({since} → {until}); failed hours: {hours}.",
        "resolved.summary.moment": "Lasted {duration} ({since} → {until}); failed {failures:once|# times}.",
        "changed.title": "🔄 Rechecked hour {hour}: *{check}* is now *{after}* (was {before}).",
        "changed.reason": "Reason: {reason}",
        "status.pass": "passing",
        "status.fail": "failing",
        "status.error": "not judged (checker error)",
        "status.skipped": "skipped",
        "status.empty": "empty (no row on either side)",
        "digest.title": "📋 Daily update, {date}",
        "digest.status": "*Status:* {status}",
        "digest.status.green": "🟢 on track: all {hours} hours of the period passed and no alert is open",
        "digest.status.yellow": ("🟡 attention: {failed:# failed hour|# failed hours} and "
                                 "{failed_moments:# failed point-in-time run|# failed point-in-time runs} in the period, "
                                 "no alert open now"),
        "digest.status.red": "🔴 blocked: {open:# open alert|# open alerts}",
        "digest.status.incomplete": ("⚪ incomplete: {unjudged} of {hours} hours {unjudged:has|have} no verdict "
                                     "({missing} missing, {empty} empty); nothing failed"),
        "digest.status.nothing": "⚫ nothing judged: none of the {hours} hours of the period has a verdict",
        "digest.hours.title": "*{start} → {end}, hour by hour*",
        "digest.hours.totals": ("Totals: {judged} of {hours} hours judged ({failed} failed), {empty} empty, "
                                "{missing} missing"),
        "digest.cell.passed": "passed",
        "digest.cell.failed": "failed",
        "digest.cell.empty": "empty",
        "digest.cell.missing": "missing",
        "digest.changed.title": "*What changed*",
        "digest.changed.hours": "{check} ({job}): failed {first} … {last} ({hours} h), {state}",
        "digest.changed.hour": "{check} ({job}): failed hour {first}, {state}",
        "digest.changed.moments": "{check} ({job}): failed {failures:once, at|# times from} {first}{failures:| to {last}}, {state}",
        "digest.changed.tool.hours": "the checker could not judge {what}: hours {first} … {last} ({hours} h), {state}",
        "digest.changed.tool.hour": "the checker could not judge {what}: hour {first}, {state}",
        "digest.changed.tool.moments": ("the checker could not run {what}: {failures:once, at|# times from} {first}"
                                        "{failures:| to {last}}, {state}"),
        "digest.alert.open": "still open",
        "digest.alert.resolved": "passed again at {at}",
        "digest.changed.none": "no alert opened or resolved",
        "digest.issues.title": "*Issues*",
        "digest.issues.none": "none open",
        "digest.issue": "{check} ({job}): failing since {since}, failed hours: {hours}",
        "digest.issue.moment": "{check} ({job}): failing since {since}, failed {failures:once|# times}",
        "digest.issue.tool": "the checker cannot run {what} since {since}",
        "digest.moments.title": "*Point-in-time checks in the period*",
        "digest.moment": ("{check} ({job}): {runs:# run|# runs}, failed {failed:once|# times}; the latest {status} "
                           "at {at}"),
        "digest.worst.title": "*Worst numbers*",
        "digest.worst.drift": "largest drift: {drift} % in {dataset} at {hour}",
        "digest.worst.none": "no drift measured",
        "digest.next.title": "*Next steps*",
        "digest.next.fix": "investigate {check} ({job}): {reason}",
        "digest.next.tool": "fix the checker for {job}: {reason}",
        "digest.next.missing": "judge the {missing:missing hour|# missing hours} (`reconciler run JOB`)",
        "digest.next.empty": ("find out why {empty:# hour|# hours} had no row on either side (or set "
                              "`allow_empty_hours`)"),
        "digest.next.keep": "keep shadow mode running; nothing to do",
        "digest.gate.title": "*Go/no-go gate*",
        "digest.gate": "{verdict} for phase {phase}{why}; {clean} of {days} days clean",
        "digest.gate.point_in_time": "{verdict} for phase {phase}{why}, over {days} days of results",
        "digest.gate.not_met": "not met: {criteria}",
        "digest.gate.incomplete": "incomplete: {criteria}",
        "gate.verdict.go": "🟢 GO",
        "gate.verdict.no-go": "🔴 NO-GO",
        "gate.verdict.incomplete": "⚪ INCOMPLETE",
        "criterion.coverage": "coverage",
        "criterion.drift": "drift",
        "criterion.match": "match",
        "criterion.lag": "lag",
        "criterion.latency": "latency",
        "criterion.queues": "queues",
        "criterion.bookings": "bookings",
        "criterion.error_rate_ratio": "error rate ratio",
        "criterion.p99_latency_ratio": "p99 latency ratio",
        "test.title": "👋 reconciler test message",
        "test.body": "This channel will receive the migration's alerts and daily updates ({mode}).",
        "mode.bot": "bot token",
        "mode.webhook": "incoming webhook",
        "mode.none": "not sent: no Slack token or webhook is set",
        "hours_unit": "{n} h",
        "minutes_unit": "{n} min",
        "under_a_minute": "less than a minute",
        "days_unit": "{n} d",
        "why.title": "*Why*",
        "why.more": "…and {n:# more finding|# more findings} in the report",
        "why.none": "no pattern found in hour {hour}: {reason}",
        "story.line": "{finding} — {span}",
        "story.since": "every hour since {since} ({hours} h, {rows} rows an hour)",
        "story.span": "every hour from {since} to {until} ({hours} h, {rows} rows an hour)",
        "story.one": "in hour {since} only ({rows:# row|# rows})",
        "story.same": "*Still the same*",
        "followup.data.fault": "🔀 *{check}*: now a different fault, in hour {hour}:",
        "followup.data.before": "*Before*",
        "digest.stories.title": "*Why: the faults of the period*",
        "digest.story.more": "{dataset}: …and {n:# more story|# more stories} in the reports",
        "resolved.stories": "*What it was*",
    },
    "es": {
        "alert.data.title": "🔴 Falla un chequeo de datos: {check}",
        "alert.data.intro": "*{job}* encontró una diferencia entre el sistema viejo y el nuevo{on_dataset}.",
        "alert.rule.title": "🔴 Regla incumplida: {check}",
        "alert.measure.title": "🔴 Fuera de límites: {check}",
        "alert.measure.intro": "*{job}* midió *{check}* en el pipeline, fuera de su límite.",
        "alert.traffic.title": "🔴 Alerta de tráfico: {check}",
        "alert.traffic.intro": "El chequeo de tráfico *{check}* de *{job}* disparó la alerta del plan{on_dataset}: {breached}.",
        "alert.traffic.error_rate": "la tasa de error del sistema nuevo más de {max_error_rate_increase_points} puntos por encima de la del viejo",
        "alert.traffic.p99_latency": "el p99 del sistema nuevo por encima de {max_p99_ratio} × el del viejo",
        "alert.traffic.discrepancy": "difieren más del {max_discrepancy_pct} % de las filas comparadas de la hora",
        "alert.rule.intro": "*{job}* comprobó la regla *{check}*{where} y encontró filas que la incumplen.",
        "rule.on.new": " en el sistema nuevo",
        "rule.on.old": " en el sistema viejo",
        "rule.on.both": " en cada sistema (las violaciones que el viejo también tiene se cuentan como heredadas)",
        "alert.tool.title": "⚠️ El verificador está roto: {job} no pudo ejecutarse",
        "alert.tool.check_title": "⚠️ El verificador está roto: {check} no pudo evaluarse ({job})",
        "items.tool.title": "*Qué falló*",
        "resolved.tool.check_title": "✅ Resuelto: {check} vuelve a evaluarse ({job})",
        "alert.tool.intro": ("El chequeo no pudo ejecutarse (una fuente inalcanzable, o una consulta o regla "
                             "que falla: el motivo dice cuál), *no un veredicto sobre los datos*: la hora no "
                             "fue juzgada y se juzgará de nuevo en la próxima ejecución."),
        "on_dataset": " en *{dataset}*",
        "field.reason": "*Motivo*",
        "field.worst_hour": "*Peor hora*",
        "field.hour": "*Hora*",
        "field.as_of": "*Comprobado a las*",
        "field.window": "*Ventana*",
        "field.violations": "*Violaciones*",
        "field.job": "*Tarea*",
        "field.report": "*Reporte*",
        "field.since": "*Desde*",
        "report_link": "<{link}|abrir el reporte>",
        "report_path": "`{link}`",
        "items.title": "*Qué difiere*",
        "items.rule.title": "*Filas que la incumplen*",
        "more": "…y {n} más",
        "more_link": "…y {n} más, ver <{link}|el reporte completo>",
        "more_path": "…y {n} más, ver el reporte completo: `{link}`",
        "followup.data": ("🔁 Sigue fallando: *{check}* también falló en la hora {hour} ({hours:# hora fallada|# horas falladas} "
                          "desde {since})."),
        "followup.data.value": ("🔁 Sigue fallando: *{check}* cambió en la hora {hour}: {violations:# violación|# violaciones}, "
                                "antes {previous}."),
        "followup.moment": ("🔁 Sigue fallando: *{check}* a las {hour}: {violations:# violación|# violaciones}, antes "
                            "{previous} (falló {failures:una vez|# veces} desde {since})."),
        "followup.moment.measure": ("🔁 Sigue fallando: *{check}* a las {hour}: {reason} (falló "
                                    "{failures:una vez|# veces} desde {since})."),
        "followup.tool": "🔁 El verificador sigue sin poder ejecutar *{job}* ({hour}): {reason}",
        "reminder.data": ("⏰ Recordatorio: *{check}* falla desde {since}: horas falladas: {hours}, "
                          "la última {hour}."),
        "reminder.moment": ("⏰ Recordatorio: *{check}* falla desde {since}: falló {failures:una vez|# veces}, "
                            "la última a las {hour}."),
        "reminder.moment.measure": ("⏰ Recordatorio: *{check}* falla desde {since}: falló "
                                    "{failures:una vez|# veces}, la última a las {hour}."),
        "reminder.tool": ("⏰ Recordatorio: el verificador no puede ejecutar *{job}* desde {since} "
                          "({failures:# intento|# intentos})."),
        "recovered.data": ("✅ Recuperado: *{check}* vuelve a pasar (hora {hour}). Falló durante {duration}, "
                           "horas falladas: {hours}."),
        "recovered.moment": ("✅ Recuperado: *{check}* vuelve a pasar ({hour}). Falló {failures:una vez|# veces} durante "
                             "{duration}."),
        "recovered.tool": "✅ El verificador funciona de nuevo: *{job}* se ejecutó ({hour}) tras {duration} roto.",
        "resolved.data.title": "✅ Resuelto: {check}",
        "resolved.tool.title": "✅ Resuelto: el verificador vuelve a ejecutar {job}",
        "resolved.summary": "Duró {duration} ({since} → {until}); horas falladas: {hours}.",
        "resolved.summary.moment": "Duró {duration} ({since} → {until}); falló {failures:una vez|# veces}.",
        "changed.title": "🔄 Hora {hour} rechequeada: *{check}* ahora está *{after}* (antes: {before}).",
        "changed.reason": "Motivo: {reason}",
        "status.pass": "pasando",
        "status.fail": "fallando",
        "status.error": "sin juzgar (error del verificador)",
        "status.skipped": "omitido",
        "status.empty": "vacío (sin filas en ningún lado)",
        "digest.title": "📋 Actualización diaria, {date}",
        "digest.status": "*Estado:* {status}",
        "digest.status.green": ("🟢 en curso: las {hours} horas del período pasaron y no hay alertas abiertas"),
        "digest.status.yellow": ("🟡 atención: {failed:# hora fallada|# horas falladas} y "
                                 "{failed_moments:# ejecución puntual fallada|# ejecuciones puntuales falladas} en el "
                                 "período, ninguna alerta abierta ahora"),
        "digest.status.red": "🔴 bloqueado: {open:# alerta abierta|# alertas abiertas}",
        "digest.status.incomplete": ("⚪ incompleto: {unjudged} de {hours} horas sin veredicto "
                                     "({missing:# faltante|# faltantes}, {empty:# vacía|# vacías}); nada falló"),
        "digest.status.nothing": "⚫ nada juzgado: ninguna de las {hours} horas del período tiene veredicto",
        "digest.hours.title": "*{start} → {end}, hora por hora*",
        "digest.hours.totals": ("Totales: {judged} de {hours} horas juzgadas ({failed:# fallada|# falladas}), "
                                "{empty:# vacía|# vacías}, {missing:# faltante|# faltantes}"),
        "digest.cell.passed": "pasó",
        "digest.cell.failed": "falló",
        "digest.cell.empty": "vacía",
        "digest.cell.missing": "faltante",
        "digest.changed.title": "*Qué cambió*",
        "digest.changed.hours": "{check} ({job}): falló {first} … {last} ({hours} h), {state}",
        "digest.changed.hour": "{check} ({job}): falló la hora {first}, {state}",
        "digest.changed.moments": "{check} ({job}): falló {failures:una vez, a las|# veces, de} {first}{failures:| a {last}}, {state}",
        "digest.changed.tool.hours": ("el verificador no pudo juzgar {what}: horas {first} … {last} ({hours} h), "
                                      "{state}"),
        "digest.changed.tool.hour": "el verificador no pudo juzgar {what}: hora {first}, {state}",
        "digest.changed.tool.moments": ("el verificador no pudo ejecutar {what}: {failures:una vez, a las|# veces, de} "
                                        "{first}{failures:| a {last}}, {state}"),
        "digest.alert.open": "sigue abierta",
        "digest.alert.resolved": "volvió a pasar a las {at}",
        "digest.changed.none": "ninguna alerta abierta ni resuelta",
        "digest.issues.title": "*Problemas*",
        "digest.issues.none": "ninguno abierto",
        "digest.issue": "{check} ({job}): falla desde {since}, horas falladas: {hours}",
        "digest.issue.moment": "{check} ({job}): falla desde {since}, falló {failures:una vez|# veces}",
        "digest.issue.tool": "el verificador no puede ejecutar {what} desde {since}",
        "digest.moments.title": "*Chequeos puntuales del período*",
        "digest.moment": ("{check} ({job}): {runs:# ejecución|# ejecuciones}, falló {failed:una vez|# veces}; la última "
                           "{status} a las {at}"),
        "digest.worst.title": "*Peores cifras*",
        "digest.worst.drift": "mayor desviación: {drift} % en {dataset} a las {hour}",
        "digest.worst.none": "sin desviación medida",
        "digest.next.title": "*Próximos pasos*",
        "digest.next.fix": "investigar {check} ({job}): {reason}",
        "digest.next.tool": "reparar el verificador de {job}: {reason}",
        "digest.next.missing": "juzgar {missing:la hora faltante|las # horas faltantes} (`reconciler run JOB`)",
        "digest.next.empty": ("averiguar por qué {empty:# hora no tuvo|# horas no tuvieron} filas en ningún lado (o fijar "
                              "`allow_empty_hours`)"),
        "digest.next.keep": "mantener el modo sombra; nada que hacer",
        "digest.gate.title": "*Decisión de avance*",
        "digest.gate": "{verdict} para la fase {phase}{why}; {clean} de {days} días limpios",
        "digest.gate.point_in_time": "{verdict} para la fase {phase}{why}, sobre {days} días de resultados",
        "digest.gate.not_met": "no cumplidos: {criteria}",
        "digest.gate.incomplete": "incompletos: {criteria}",
        "gate.verdict.go": "🟢 AVANZAR",
        "gate.verdict.no-go": "🔴 NO AVANZAR",
        "gate.verdict.incomplete": "⚪ EVIDENCIA INCOMPLETA",
        "criterion.coverage": "cobertura",
        "criterion.drift": "desviación",
        "criterion.match": "coincidencia",
        "criterion.lag": "retraso",
        "criterion.latency": "latencia",
        "criterion.queues": "colas",
        "criterion.bookings": "reservas",
        "criterion.error_rate_ratio": "razón de tasas de error",
        "criterion.p99_latency_ratio": "razón de latencia p99",
        "test.title": "👋 mensaje de prueba de reconciler",
        "test.body": "Este canal recibirá las alertas y las actualizaciones diarias de la migración ({mode}).",
        "mode.bot": "token de bot",
        "mode.webhook": "webhook entrante",
        "mode.none": "no enviado: no hay token ni webhook de Slack",
        "hours_unit": "{n} h",
        "minutes_unit": "{n} min",
        "under_a_minute": "menos de un minuto",
        "days_unit": "{n} d",
        "why.title": "*Por qué*",
        "why.more": "…y {n:# hallazgo más|# hallazgos más} en el reporte",
        "why.none": "ningún patrón en la hora {hour}: {reason}",
        "story.line": "{finding} — {span}",
        "story.since": "cada hora desde {since} ({hours} h, {rows} filas por hora)",
        "story.span": "cada hora de {since} a {until} ({hours} h, {rows} filas por hora)",
        "story.one": "solo en la hora {since} ({rows:# fila|# filas})",
        "story.same": "*Sigue igual*",
        "followup.data.fault": "🔀 *{check}*: ahora es otra falla, en la hora {hour}:",
        "followup.data.before": "*Antes*",
        "digest.stories.title": "*Por qué: las fallas del período*",
        "digest.story.more": "{dataset}: …y {n:# historia más|# historias más} en los reportes",
        "resolved.stories": "*Qué fue*",
    },
}


# ---- the migration plan's phases (task "phases"): the digest's phase, traffic split and
# error-rate lines, its phase-aware next steps, and the names of the later phases' criteria
PHASE_TEXTS = {
    "en": {
        "digest.phase.title": "*Migration plan*",
        "digest.phase": "current phase: *{phase}*",
        "digest.traffic": "traffic split: {split} % of requests to the new system (hour {hour})",
        "digest.traffic.none": "traffic split: not measured in the period (configure a `traffic` check)",
        "digest.traffic.unjudged": "traffic split: no hour of the period judged ({hours:# hour|# hours} {reason})",
        "digest.error_rate.ok": ("new system's error rate: {rate} % ({errors} of {requests} requests, {hours} of {of} "
                                 "hours measured), ✅ below the {target} % target"),
        "digest.error_rate.over": ("new system's error rate: {rate} % ({errors} of {requests} requests, {hours} of "
                                   "{of} hours measured), ❌ not below the {target} % target"),
        "digest.error_rate.none": "new system's error rate: no request measured (target below {target} %)",
        "digest.error_rate.partial": ("new system's error rate: {rate} % ({errors} of {requests} requests, only {hours} "
                                      "of {of} hours measured), ⏳ below the {target} % target so far"),
        "digest.next.not_met": ("meet what the {phase} go/no-go gate finds not met: {criteria} (`reconciler gate` "
                                "names each one's worst hour)"),
        "digest.next.error_rate": "bring the new system's error rate below {target} % (it is {rate} %)",
        "digest.next.go": "the gate says GO for {phase}: prepare the next phase",
        "digest.next.keep.phase": "keep the {phase} phase running; nothing to do",
        "phase.shadow": "shadow mode",
        "phase.traffic-split": "traffic split",
        "phase.booking-cutover": "booking cut-over",
        "criterion.error_rate": "error rate",
        "criterion.p99_latency": "p99 latency",
        "criterion.stable_split": "7 days stable at 100 %",
        "criterion.discrepancy": "discrepancy rate",
        "criterion.duplicate_bookings": "duplicate bookings",
        "criterion.access_codes": "access codes",
        "criterion.notifications": "notifications",
        "criterion.booking_summary": "booking summary",
        "criterion.overlapping_bookings": "overlapping bookings",
        "criterion.status_transitions": "status transitions",
        "criterion.bookings_migrated": "bookings migrated",
    },
    "es": {
        "digest.phase.title": "*Plan de migración*",
        "digest.phase": "fase actual: *{phase}*",
        "digest.traffic": "reparto del tráfico: {split} % de las peticiones al sistema nuevo (hora {hour})",
        "digest.traffic.none": "reparto del tráfico: sin medir en el período (configure un check `traffic`)",
        "digest.traffic.unjudged": ("reparto del tráfico: ninguna hora del período juzgada ({hours:# hora|# horas} "
                                    "{reason})"),
        "digest.error_rate.ok": ("tasa de error del sistema nuevo: {rate} % ({errors} de {requests} peticiones, "
                                 "{hours} de {of} horas medidas), ✅ por debajo del objetivo de {target} %"),
        "digest.error_rate.over": ("tasa de error del sistema nuevo: {rate} % ({errors} de {requests} peticiones, "
                                   "{hours} de {of} horas medidas), ❌ no está por debajo del objetivo de {target} %"),
        "digest.error_rate.none": "tasa de error del sistema nuevo: ninguna petición medida (objetivo: menos de {target} %)",
        "digest.error_rate.partial": ("tasa de error del sistema nuevo: {rate} % ({errors} de {requests} peticiones, "
                                      "solo {hours} de {of} horas medidas), ⏳ por debajo del objetivo de {target} % "
                                      "por ahora"),
        "digest.next.not_met": ("cumplir lo que la decisión de avance de {phase} da por no cumplido: {criteria} "
                                "(`reconciler gate` nombra la peor hora de cada uno)"),
        "digest.next.error_rate": "bajar la tasa de error del sistema nuevo por debajo de {target} % (está en {rate} %)",
        "digest.next.go": "el gate dice GO para {phase}: preparar la siguiente fase",
        "digest.next.keep.phase": "mantener la fase {phase}; nada que hacer",
        "phase.shadow": "modo sombra",
        "phase.traffic-split": "reparto de tráfico",
        "phase.booking-cutover": "migración de reservas",
        "criterion.error_rate": "tasa de error",
        "criterion.p99_latency": "latencia p99",
        "criterion.stable_split": "7 días estables al 100 %",
        "criterion.discrepancy": "tasa de discrepancia",
        "criterion.duplicate_bookings": "reservas duplicadas",
        "criterion.access_codes": "códigos de acceso",
        "criterion.notifications": "notificaciones",
        "criterion.booking_summary": "resumen de reservas",
        "criterion.overlapping_bookings": "reservas solapadas",
        "criterion.status_transitions": "transiciones de estado",
        "criterion.bookings_migrated": "reservas migradas",
    },
}
for _locale, _texts in PHASE_TEXTS.items():
    TEXTS[_locale].update(_texts)


class _Plurals(string.Formatter):
    """`{n:one|many}`: the text for one or for any other number, `#` standing for the number
    ("{hours:# hour|# hours}", "{failures:once|# times}"); any other field as `format` does."""

    def format_field(self, value, format_spec: str) -> str:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        one, many = format_spec.split("|", 1)
        return (one if str(value).strip() == "1" else many).replace("#", str(value))


PLURALS = _Plurals()


class Texts:
    """`t("alert.data.title", check=...)` in one locale; numbers in its decimal notation
    (Spanish: a decimal comma, phrasebook.decimal_comma)."""

    def __init__(self, locale: str = "en"):
        if locale not in TEXTS:
            raise ValueError(f"unknown locale {locale!r} (use one of: {', '.join(LOCALES)})")
        self.locale = locale
        self.table = TEXTS[locale]

    def __call__(self, key: str, **values) -> str:
        return self.numbers(PLURALS.format(self.table[key], **values))

    def numbers(self, text: str) -> str:
        """`text` with its decimal numbers written as the locale writes them."""
        from reconciler.notify.phrasebook import decimal_comma

        return decimal_comma(text) if self.locale == "es" else text

    def name(self, kind: str, name: str) -> str:
        """A known name (`criterion.drift`) in the locale's words; an unknown one as written."""
        return self.table.get(f"{kind}.{name}", name)

    def duration(self, seconds: float) -> str:
        if seconds < 30:
            return self("under_a_minute")
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
