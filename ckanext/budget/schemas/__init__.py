"""ckanext-scheming schemas (YAML) of the dataset types ckanext-budget adds."""
