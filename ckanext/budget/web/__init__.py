"""What every page of the extension shares on the web side, whatever the feature: the page
cache of anonymous visitors (``page_cache``), the answer when the database is away
(``outages``) and safe CSV downloads (``downloads``)."""
