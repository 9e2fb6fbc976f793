{#-
  on-run-start: make the lake's Delta tables visible to this dbt session.

  Sail keeps its catalog in memory per Spark Connect session, and each dbt process opens a new
  session, so nothing registered earlier (by Dagster or by a previous dbt run) is visible here.
  Each silver source's Delta folder is registered as table `silver_delta.<table>`, and the source
  name `silver.<table>` becomes a view pinned to the version Dagster recorded before the run
  (LAKEGATE_DBT_SILVER_VERSIONS), so the gold rows and the lineage metadata agree even if silver
  is rewritten meanwhile. When Dagster sets that variable, only the tables it names are
  registered (a silver table that does not exist yet cannot be); run by hand without it, every
  silver source is registered and read at its latest version. Gold tables that already exist
  (LAKEGATE_DBT_GOLD_TABLES) are registered at their location so that a test-only run finds them.
-#}
{% macro lakegate_register_tables() %}
  {%- if execute and var('register_tables') -%}
    {%- set pinned_versions = env_var('LAKEGATE_DBT_SILVER_VERSIONS', '') | trim -%}
    {%- set versions = fromjson(pinned_versions) if pinned_versions else none -%}
    {%- set gold_tables = fromjson(env_var('LAKEGATE_DBT_GOLD_TABLES', '[]')) or [] -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
      {%- do models.append(node.alias) -%}
    {%- endfor -%}
    {%- set statements = ['create schema if not exists silver_delta',
                          'create schema if not exists silver',
                          'create schema if not exists gold'] -%}
    {%- for source in graph.sources.values()
          if source.source_name == 'silver' and (versions is none or source.name in versions) -%}
      {%- set t = source.name -%}
      {%- do statements.append("create table if not exists silver_delta." ~ t ~ " using delta location '"
                               ~ lakegate_table_path('silver', t) ~ "'") -%}
      {%- set pinned = '' if versions is none else ' version as of ' ~ (versions[t] | int) -%}
      {%- do statements.append("create or replace view silver." ~ t ~ " as select * from silver_delta." ~ t ~ pinned) -%}
    {%- endfor -%}
    {%- for m in gold_tables -%}
      {%- if m not in models -%}
        {{ exceptions.raise_compiler_error("LAKEGATE_DBT_GOLD_TABLES names '" ~ m ~ "', which is not a model") }}
      {%- endif -%}
      {%- do statements.append("create table if not exists gold." ~ m ~ " using delta location '"
                               ~ lakegate_table_path('gold', m) ~ "'") -%}
    {%- endfor -%}
    {%- for sql in statements -%}
      {%- do run_query(sql) -%}
    {%- endfor -%}
  {%- endif -%}
{% endmacro %}
