{#- Gold never carries personal data. Fails with one row per column whose name marks PII
    (names, SSN, date of birth, address, contact details, the raw member id). -#}
{% test no_pii_columns(model) %}
{%- set markers = ['member_id', 'first_name', 'last_name', 'full_name', 'provider_name', 'ssn',
                   'date_of_birth', 'dob', 'address', 'street', 'city', 'zip', 'postal', 'phone',
                   'email'] -%}
{%- set found = [] -%}
{%- if execute -%}
  {%- for col in adapter.get_columns_in_relation(model) -%}
    {%- set name = col.name | lower -%}
    {%- for marker in markers -%}
      {%- if (name == marker or name.startswith(marker ~ '_') or name.endswith('_' ~ marker)
              or ('_' ~ marker ~ '_') in name) and name not in found -%}
        {%- do found.append(name) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
{%- endif -%}
{%- if found -%}
  {%- for name in found %}
select '{{ name }}' as pii_column{% if not loop.last %} union all{% endif %}
  {%- endfor %}
{%- else %}
select cast(null as string) as pii_column where 1 = 0
{%- endif %}
{% endtest %}
