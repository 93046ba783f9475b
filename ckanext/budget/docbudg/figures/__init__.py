"""The figures the portal shows, computed once here and typed; the CKAN layer reads the
database, formats and renders them, it does not add up.

- :mod:`.big_numbers` — ``big_numbers(doc) -> BigNumbers``: receipts and spending ×
  operating and investment (real operations, carried-over results 001/002 left out), the
  one definition every page shows (``sections()``: the document page's key figures).
- :mod:`.results` — ``Result`` (trees of ``ResultCategory``, checks, totals, big numbers):
  what a document's aggregation is stored as; ``result_of(aggregation, big_numbers)``,
  ``to_json()`` / ``Result.from_json()`` (format ``budget-result/2``, exact amounts as
  strings), ``find(tree, category)``, ``label_in(lang)``; the leaves' lines stored beside
  it: ``leaf_lines_to_json(aggregation)`` (format ``budget-lines/1``),
  ``stored_leaf_lines(data, tree, leaf)``, ``Result.with_leaf_lines(data)``.
- :mod:`.levels` — ``level(result, tree, node, own_rules, lang) -> Level``: one level as
  the explorers show it (rows, path, total; defaults for unknown ids).
- :mod:`.combination` — ``choose(sources)`` and ``bases(chosen, results, own_rules,
  lines)``: a budget's documents as each year's realised (CA, or the CFU) and voted (the
  credits voted after the latest decision, BP then BS then DMs; an upload counted once,
  the latest processed winning) figures, with what they count in words;
  ``indicator_document(kinds)``.
- :mod:`.decisions` — ``disagreements(decisions)``: a year's consecutive decisions whose
  credits do not follow on (credits after one ≠ ``MtBudgPrec`` of the next), line by line.
- :mod:`.evolution` — ``evolution(results_by_year, tree, parents, lang) -> [Stack]``.
- :mod:`.execution` — ``execution(voted, realised, level, lang) -> Execution``: with the
  execution rate, realised ÷ credits voted after the latest decision.
- :mod:`.comparison` — ``compare(results, populations, own_rules, tree, node, lang)``:
  documents side by side, per inhabitant.
- :mod:`.reference` — the OFGL population ``STRATA`` (``stratum(population)``, defined
  once), ``median``, ``members(reference, candidates)`` and ``summarise(levels, …)``: a
  comparison's reference group (same class and norm) as its medians.
- :mod:`.subsidies` — ``grants(rows, year, …)``, ``search(grants, query, year)``,
  ``totals_by_year``: the subsidies granted over the years, natural persons withheld.
- :mod:`.analysis` — ``compute(doc)``: the financial analysis (savings cascade,
  investment, debt, neutral operations, published subsidies) as stored JSON, with
  ``labels``, ``definitions`` and the ``reasons`` a figure is missing.
- :mod:`.groups` — where the money comes from and goes: receipts and spending of the
  counted lines in groups defined once (OFGL conventions, account codes in words), every
  line in one group, stored with the analysis (``groupes``); ``stored_groups(stored, lang)``.
- :mod:`.brief` — ``brief(stored, previous, lang, money, percent)``: « Le budget en bref »,
  the big numbers with their change and per inhabitant, the key indicators in sentences.
- :mod:`.indicator_table` — ``indicator_table(columns, lang)``: the key indicators over
  the years; ``current(stored)`` keeps indicators of today's definitions only.

Every figure counts lines under the one set of conventions of :mod:`..conventions`
(OFGL: asset disposals with investment receipts, neutral debt operations apart).
- :mod:`.waterfall` — ``steps(figures) -> [Step]``: a document's savings cascade (stored
  ``analysis`` figures, in euros or per inhabitant) as the bars of a waterfall.

Pure Python: nothing here imports CKAN.
"""
