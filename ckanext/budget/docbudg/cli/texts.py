"""Every text the ``budget-doc`` command shows, in French and English.

Kept apart from the command logic so that a translator reviews one file; click's own words
("Usage:", "Options"…) are in ``locale/fr/LC_MESSAGES/click.po``.
"""

from __future__ import annotations

from ..messages import Message

M = Message

PROG_DESCRIPTION = M(
    "Anonymiser, valider et convertir des documents budgétaires TotEM "
    "(DocumentBudgetaire, compte financier unique).",
    "Anonymise, validate and convert TotEM budget documents "
    "(DocumentBudgetaire, compte financier unique).",
)
PROG_EPILOG = M(
    "Codes de sortie : 0 succès, 1 document en erreur ou fichier en échec, 2 usage "
    "incorrect, 3 fichier illisible comme document budgétaire, 4 erreur d'entrée-sortie.",
    "Exit codes: 0 success, 1 document with errors or failed file, 2 wrong usage, "
    "3 file unreadable as a budget document, 4 input/output error.",
)
ARGUMENT_LINE = M("{name} : {text}", "{name}: {text}")
COMMAND_METAVAR = M("COMMANDE [ARGUMENTS]...", "COMMAND [ARGS]...")
ACTION_METAVAR = M("ACTION [ARGUMENTS]...", "ACTION [ARGS]...")
FILE_METAVAR = M("FICHIER", "FILE")
TEXT_METAVAR = M("TEXTE", "TEXT")
MB_METAVAR = M("MO", "MB")
REPORT_METAVAR = M("RAPPORT.json", "REPORT.json")
TREE_METAVAR = M("ARBRE", "TREE")
HELP_LANG = M(
    "langue des messages (par défaut : celle de la session)",
    "language of the messages (default: the session's)",
)
HELP_MAX_SIZE = M(
    "taille maximale acceptée d'un document, en Mo, après décompression",
    "largest accepted document, in MB, after decompression",
)
HELP_PLANS_DIR = M(
    "répertoire de plans de comptes importés (défaut : $BUDGET_DOC_PLANS_DIR, puis les "
    "plans fournis)",
    "directory of imported plans de comptes (default: $BUDGET_DOC_PLANS_DIR, then the "
    "bundled plans)",
)
HELP_FILE = M("document budgétaire (.xml ou .xml.gz)", "budget document (.xml or .xml.gz)")
HELP_FORMAT = M("format de sortie", "output format")
HELP_OUTPUT = M(
    "fichier à écrire (« - » pour la sortie standard ; .gz pour compresser le XML)",
    "file to write ('-' for standard output; .gz to compress the XML)",
)
HELP_STRICT = M(
    "occulter aussi tout bénéficiaire dont la nature juridique n'est pas renseignée",
    "also occult every beneficiary whose legal nature is not given",
)
HELP_REPLACEMENT = M("texte qui remplace les données occultées", "text that replaces occulted data")
HELP_REPORT = M(
    "écrire aussi le rapport d'anonymisation (JSON) dans ce fichier",
    "also write the anonymisation report (JSON) to this file",
)

HELP_INFO = M(
    "afficher l'en-tête d'un document (collectivité, exercice, étape) et ses effectifs",
    "show a document's header (authority, year, stage) and counts",
)
HELP_ANONYMISE = M(
    "occulter les données personnelles et écrire le document anonymisé",
    "occult personal data and write the anonymised document",
)
HELP_VALIDATE = M(
    "valider un document (code de sortie 1 s'il a des erreurs, 0 s'il n'a que des avertissements)",
    "validate a document (exit code 1 if it has errors, 0 if it only has warnings)",
)
HELP_CONVERT = M(
    "anonymiser puis convertir un document (SCDL budget, SCDL subventions, lignes)",
    "anonymise then convert a document (SCDL budget, SCDL subsidies, lines)",
)
HELP_TO = M("format d'export", "export format")
HELP_BATCH = M(
    "anonymiser, valider et convertir tous les .xml/.xml.gz d'un répertoire",
    "anonymise, validate and convert every .xml/.xml.gz of a directory",
)
HELP_BATCH_DIR = M(
    "répertoire à traiter (sous-répertoires compris)",
    "directory to process (sub-directories included)",
)
HELP_BATCH_OUT = M(
    "répertoire des résultats (créé au besoin)", "directory for the results (created if needed)"
)
HELP_JOBS = M("nombre de processus en parallèle", "number of processes in parallel")
HELP_PLANS = M("gérer les plans de comptes", "manage the plans de comptes")
HELP_PLANS_IMPORT = M(
    "importer les planDeCompte.xml officiels d'un répertoire",
    "import the official planDeCompte.xml files of a directory",
)
HELP_PLANS_SRC = M(
    "répertoire contenant les planDeCompte.xml (ex. <année>/<norme>/<déclinaison>/)",
    "directory holding the planDeCompte.xml files (e.g. <year>/<norme>/<declinaison>/)",
)
HELP_PLANS_DEST = M(
    "répertoire de destination (défaut : $BUDGET_DOC_PLANS_DIR)",
    "destination directory (default: $BUDGET_DOC_PLANS_DIR)",
)
HELP_INDICATORS = M(
    "calculer l'analyse financière d'un document (épargnes de gestion, brute et nette, "
    "investissement, encours de la dette, capacité de désendettement, montants par "
    "habitant, opérations neutres laissées de côté) et leurs définitions",
    "compute a document's financial analysis (operating surplus, gross and net savings, "
    "investment, outstanding debt, debt repayment capacity, amounts per inhabitant, "
    "neutral operations left out) and their definitions",
)
HELP_INDICATORS_JSON = M(
    "écrire les indicateurs en JSON (montants en texte, exacts au centime)",
    "write the indicators as JSON (amounts as text, exact to the cent)",
)
HELP_AGGREGATE = M(
    "agréger des documents selon des règles et contrôler la partition",
    "aggregate documents with rules and check the partition",
)
HELP_AGGREGATE_FILES = M(
    "document(s) budgétaire(s) (.xml ou .xml.gz)", "budget document(s) (.xml or .xml.gz)"
)
HELP_RULES = M(
    "règles (.yaml/.json, ou arbre JSON de l'outil Gironde) ; « {default} » = par fonction "
    "et par chapitre d'après le plan de comptes",
    "rule set (.yaml/.json, or a Gironde JSON tree); '{default}' = by function and by "
    "chapter from the plan de comptes",
)
HELP_TREE = M("seulement cet arbre des règles", "only this tree of the rule set")
HELP_AGGREGATE_OUTPUT = M(
    "fichier à écrire (sortie standard par défaut)", "output file (standard output by default)"
)
HELP_RULES_GROUP = M(
    "importer des règles d'agrégation (tableau de correspondance, arbre Gironde, lignes partagées)",
    "import aggregation rules (spreadsheet mapping, Gironde tree, split lines)",
)
HELP_RULES_IMPORT = M(
    "convertir un tableau de correspondance (CSV, XLSX), un arbre JSON de l'outil Gironde "
    "ou un CSV de lignes partagées en règles (YAML) pour budget-doc aggregate --rules ; "
    "rien n'est écrit si le fichier ne peut pas être lu entièrement",
    "turn a spreadsheet mapping (CSV, XLSX), a Gironde tool JSON tree or a split-lines CSV "
    "into rules (YAML) for budget-doc aggregate --rules; nothing is written unless the whole "
    "file can be read",
)
HELP_RULES_SOURCE = M(
    "fichier à importer (.csv, .xlsx, .json)", "file to import (.csv, .xlsx, .json)"
)
HELP_RULES_OUTPUT = M(
    "règles à écrire (.yaml, ou .json ; « - » pour la sortie standard)",
    "rules to write (.yaml, or .json; '-' for standard output)",
)
HELP_RULES_FORMAT = M(
    "format du fichier (par défaut : d'après son nom et ses colonnes) : gironde = arbre JSON, "
    "corrections = CSV de lignes partagées à ajouter aux règles --rules, mapping = tableau "
    "de correspondance",
    "format of the file (default: from its name and columns): gironde = JSON tree, "
    "corrections = split-lines CSV to add to the --rules rules, mapping = spreadsheet mapping",
)
HELP_RULES_COLUMN = M(
    "mapping : colonne d'un rôle (sens, mouvement, section, chapitre, nature, fonction), "
    "répétable ; les rôles non donnés sont reconnus aux en-têtes usuels. Espaces, casse "
    "et accents des en-têtes sont indifférents",
    "mapping: the column of a role (sens, mouvement, section, chapitre, nature, fonction), "
    "repeatable; roles not given are recognised from usual headers. Spaces, case and "
    "accents of headers do not matter",
)
HELP_RULES_TREE = M(
    "mapping : un arbre et ses colonnes de niveaux, du plus large au plus fin, répétable ; "
    "par défaut les colonnes « Niveau 1 », « Politique N2 »… forment les arbres",
    "mapping: a tree and its level columns, broadest first, repeatable; by default columns "
    "such as 'Niveau 1', 'Politique N2'… make the trees",
)
HELP_RULES_SHEET = M("mapping : feuille du fichier XLSX", "mapping: sheet of the XLSX file")
HELP_RULES_CORRECTIONS = M(
    "gironde : CSV des lignes partagées (Exer, CodRD, Nature, Fonction, MtReal, "
    "Identifiant agrégé)",
    "gironde: split-lines CSV (Exer, CodRD, Nature, Fonction, MtReal, Identifiant agrégé)",
)
HELP_RULES_BASE = M(
    "corrections : les règles (YAML/JSON) auxquelles ajouter les lignes partagées (elles "
    "remplacent les leurs)",
    "corrections: the rules (YAML/JSON) to add the split lines to (they replace its own)",
)
HELP_RULES_NOMENCLATURE = M(
    "mapping : plan de comptes auquel comparer les codes, ex. M14-M14_COM_SUP3500",
    "mapping: plan de comptes to check the codes against, e.g. M14-M14_COM_SUP3500",
)
HELP_RULES_EXER = M(
    "mapping : année de ce plan de comptes (par défaut : l'année en cours)",
    "mapping: year of that plan de comptes (default: the current year)",
)
ASSIGNMENT_METAVAR = M("RÔLE=EN-TÊTE", "ROLE=HEADER")
TREE_COLUMNS_METAVAR = M("NOM=EN-TÊTE,EN-TÊTE,...", "NAME=HEADER,HEADER,...")
YEAR_METAVAR = M("ANNÉE", "YEAR")

# -- output ----------------------------------------------------------------------------
INFO_LINES = {
    "authority": M("Collectivité", "Authority"),
    "budget": M("Budget", "Budget"),
    "nomenclature": M("Nomenclature", "Nomenclature"),
    "exer": M("Exercice", "Year"),
    "stage": M("Étape", "Stage"),
    "schema": M("Version du schéma", "Schema version"),
    "lines": M("Lignes budgétaires", "Budget lines"),
    "annexes": M("Annexes", "Annexes"),
}
PRINCIPAL = M("principal", "main")
ANNEXE = M("annexe", "annexe")
UNKNOWN_STAGE = M("inconnue (NatDec {code})", "unknown (NatDec {code})")
LINES_DETAIL = M(
    "{total} dont {calculated} totaux calculés (non comptés)",
    "{total} of which {calculated} calculated totals (not counted)",
)
NO_ANNEX = M("aucune", "none")
NOT_GIVEN = M("non renseigné", "not given")

STATUS_WORDS = {
    "valid": M("valide", "valid"),
    "warnings": M("valide avec avertissements", "valid with warnings"),
    "errors": M("en erreur", "with errors"),
    "failed": M("en échec", "failed"),
}
SEVERITY_WORDS = {
    "error": M("erreur", "error"),
    "warning": M("avertissement", "warning"),
    "info": M("information", "information"),
}
VALIDATION_HEADLINE = M(
    "Statut : {status} — {error} erreur(s), {warning} avertissement(s), {info} information(s)",
    "Status: {status} — {error} error(s), {warning} warning(s), {info} information(s)",
)
AT_LINE = M("ligne {line}", "line {line}")
HINT = M("À faire : {hint}", "To do: {hint}")

WROTE = M("Écrit : {path}", "Written: {path}")
EXPORT_ROWS = M("{rows} ligne(s) exportée(s)", "{rows} row(s) exported")
EXPORT_SKIPPED = M("{count} enregistrement(s) non exporté(s) :", "{count} record(s) not exported:")
SKIPPED_ROW = M("  ligne {line} : {reason}", "  line {line}: {reason}")
NOTE = M("Note : {note}", "Note: {note}")
VALIDATION_HAS_ERRORS = M(
    "Attention : le document a {count} erreur(s) de validation (budget-doc validate pour "
    "le détail).",
    "Warning: the document has {count} validation error(s) (budget-doc validate for details).",
)

BATCH_NOTHING = M(
    "Aucun fichier .xml ou .xml.gz dans {path}.", "No .xml or .xml.gz file in {path}."
)
BATCH_PROGRESS = M("[{done}/{total}] {status} : {file}", "[{done}/{total}] {status}: {file}")
BATCH_DONE = M(
    "{total} fichier(s) : {valid} valide(s), {warnings} avec avertissements, {errors} en "
    "erreur, {failed} en échec. Résumé : {summary}",
    "{total} file(s): {valid} valid, {warnings} with warnings, {errors} with errors, "
    "{failed} failed. Summary: {summary}",
)

PLANS_IMPORTED = M(
    "{count} plan(s) de comptes importé(s) dans {dest} :",
    "{count} plan(s) de comptes imported into {dest}:",
)
PLANS_NONE = M(
    "Aucun planDeCompte.xml trouvé sous {path}.", "No planDeCompte.xml found under {path}."
)
PLANS_HINT = M(
    "Pour les utiliser : exportez BUDGET_DOC_PLANS_DIR={dest} (ou --plans-dir).",
    "To use them: export BUDGET_DOC_PLANS_DIR={dest} (or --plans-dir).",
)

INDICATORS_HEADLINE = M(
    "Analyse financière — {document} ({nature})", "Financial analysis — {document} ({nature})"
)
NATURES = {
    "realise": M("réalisé", "realised"),
    "previsionnel": M("prévisionnel, sur les crédits votés", "forecast, on voted credits"),
}
NOT_COMPUTED = M("non calculé : {reason}", "not computed: {reason}")
LEFT_OUT = M(
    "Laissé hors des totaux : {label}, {amount}", "Left out of the totals: {label}, {amount}"
)
SUBSIDIES_LISTED = M(
    "Subventions détaillées dans l'annexe : {listed} sur {accounted} comptabilisés ({ratio})",
    "Subsidies detailed in the annex: {listed} of {accounted} accounted ({ratio})",
)
INDICATORS_DEFINITIONS = M("Définitions", "Definitions")
DEFINITION_LINE = M("- {label} : {text}", "- {label}: {text}")
PER_INHABITANT = M("{amount} par habitant", "{amount} per inhabitant")
YEARS = M("{years} ans", "{years} years")
INHABITANTS = M("{count} habitants", "{count} inhabitants")
NOT_AVAILABLE = M("non disponible", "not available")
RULES_WRITTEN = M(
    "Écrit : {path} — {trees} arbre(s) : {summary}.",
    "Written: {path} — {trees} tree(s): {summary}.",
)
RULES_TREE_SUMMARY = M(
    "{tree} ({categories} catégories dont {leaves} feuilles)",
    "{tree} ({categories} categories, {leaves} leaves)",
)
RULES_CORRECTIONS = M("{count} ligne(s) partagée(s)", "{count} split line(s)")
RULES_NEXT = M(
    "Ensuite : budget-doc aggregate DOCUMENT.xml --rules {path}",
    "Then: budget-doc aggregate DOCUMENT.xml --rules {path}",
)
AGGREGATE_CHECKS_FAILED = M(
    "Contrôles en échec : les catégories ne forment pas une partition exacte.",
    "Checks failed: the categories are not an exact partition.",
)

# -- errors ----------------------------------------------------------------------------
ERROR_PREFIX = M("Erreur : {message}", "Error: {message}")
ERR_NO_DEST = M(
    "indiquez le répertoire de destination avec --dest ou la variable BUDGET_DOC_PLANS_DIR.",
    "give the destination directory with --dest or the BUDGET_DOC_PLANS_DIR variable.",
)
ERR_NOT_A_DIR = M("{path} n'est pas un répertoire.", "{path} is not a directory.")
ERR_BAD_PLAN = M(
    "{path} n'est pas un plan de comptes officiel lisible ({reason}).",
    "{path} is not a readable official plan de comptes ({reason}).",
)
ERR_IO = M(
    "impossible de lire ou d'écrire {path} ({reason}).",
    "cannot read or write {path} ({reason}).",
)
ERR_ASSIGNMENT = M(
    "« {value} » : attendu {expected}.",
    "'{value}': expected {expected}.",
)
ERR_RULES_FORMAT = M(
    "format de {path} inconnu : indiquez --format gironde, corrections ou mapping.",
    "unknown format of {path}: give --format gironde, corrections or mapping.",
)
ERR_RULES_OPTIONS = M(
    "{options} ne vont qu'avec --format {fmt}.",
    "{options} only go with --format {fmt}.",
)
ERR_RULES_BASE = M(
    "--format corrections demande --rules : les règles dont les lignes partagées nomment "
    "les catégories.",
    "--format corrections needs --rules: the rules whose categories the split lines name.",
)
ERR_NO_PLAN = M(
    "aucun plan de comptes {nomenclature} pour {exer}.",
    "no plan de comptes {nomenclature} for {exer}.",
)
ERR_RULES_UNREADABLE = M(
    "{path} ne peut pas être importé : {reason}",
    "{path} cannot be imported: {reason}",
)
ERR_INTERNAL = M(
    "erreur interne ({kind}). Relancez avec BUDGET_DOC_DEBUG=1 pour le détail technique "
    "et signalez-la.",
    "internal error ({kind}). Run again with BUDGET_DOC_DEBUG=1 for the technical detail "
    "and report it.",
)
ERR_WORKER_DIED = M(
    "le processus qui traitait ce fichier s'est arrêté brutalement (mémoire insuffisante ?), "
    "même seul. Essayez-le seul avec plus de mémoire.",
    "the process handling this file stopped abruptly (out of memory?), even alone. Try it "
    "alone with more memory.",
)
ERR_INTERRUPTED = M("interrompu.", "interrupted.")
