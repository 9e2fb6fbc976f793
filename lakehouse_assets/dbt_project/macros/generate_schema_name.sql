{#- A model's +schema is its lake schema as it is (gold), not dbt's default "<target>_<schema>":
    the table name must stay <catalog>.gold.<model> on every engine. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
