{#- Where the lake is, read from the environment at run time (see dbt_project.yml). -#}

{% macro lakegate_lake_root() -%}
  {%- set root = env_var('LAKEGATE_DBT_LAKE_ROOT', '') | trim -%}
  {%- if not root.startswith('/') -%}
    {{ exceptions.raise_compiler_error("LAKEGATE_DBT_LAKE_ROOT must be an absolute path, got '" ~ root ~ "'") }}
  {%- endif -%}
  {{ return(root.rstrip('/')) }}
{%- endmacro %}

{% macro lakegate_catalog() -%}
  {%- set catalog = env_var('LAKEGATE_DBT_CATALOG', '') | trim -%}
  {%- if catalog not in ['dev', 'test', 'prod'] -%}
    {{ exceptions.raise_compiler_error("LAKEGATE_DBT_CATALOG must be dev, test or prod, got '" ~ catalog ~ "'") }}
  {%- endif -%}
  {{ return(catalog) }}
{%- endmacro %}

{% macro lakegate_table_path(schema, table) -%}
  {{ return(lakegate_lake_root() ~ '/' ~ lakegate_catalog() ~ '/' ~ schema ~ '/' ~ table) }}
{%- endmacro %}

{#- Every model is a Delta table at <lake_root>/<catalog>/<schema>/<model>; overrides dbt-spark's
    location_clause (which would need a parse-time location_root config). -#}
{% macro spark__location_clause() -%}
  location '{{ lakegate_table_path(model.schema, model.alias) }}'
{%- endmacro %}
