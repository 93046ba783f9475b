"""Budget documents in the portal: the upload gate that anonymises before CKAN stores
(``upload``), the processing that runs the core's one path and stores its results
(``processing``, ``jobs``, ``results``, ``model``), the stored files (``storage``,
``download``, ``sweep``), the pages (``views``, ``annexes``, ``check``), the API
(``actions``, ``auth``, ``schema``) and the ``ckan budget`` commands (``cli``).
``signals.document_processed`` tells the rule sets a document is ready to aggregate."""
