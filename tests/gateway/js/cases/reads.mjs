// Reads through postgrest-js: what the gateway supports today (issue 4's surface).
// Schema `test` (tests/gateway/fixtures) unless a case picks `jsclient` (../fixtures.sql).
const items = (db) => db().from('items')

export default {
  // select, order, ranges
  select_all: (db) => items(db).select('*').order('id').lte('id', 4),
  select_alias_cast: (db) => db().from('complex_items').select('myId:id::text,name').eq('id', 2),
  select_json_arrow: (db) =>
    db().from('complex_items').select('id,bar:settings->foo->>bar,n:settings->foo->int').order('id'),
  order_desc_limit: (db) => items(db).select('id').order('id', { ascending: false }).limit(3),
  order_nulls_first: (db) =>
    db().from('scores').select('id,score').order('score', { nullsFirst: true }).order('id'),
  order_desc_nulls_last: (db) =>
    db().from('scores').select('id').order('score', { ascending: false, nullsFirst: false }),
  range: (db) => items(db).select('id').order('id').range(2, 4),
  // comparison and pattern filters
  eq: (db) => items(db).select('id').eq('id', 5),
  neq_lt: (db) => items(db).select('id').neq('id', 1).lt('id', 4).order('id'),
  gt_gte_lte: (db) => items(db).select('id').gt('id', 10).gte('id', 12).lte('id', 13).order('id'),
  like: (db) => db().from('complex_items').select('id').like('name', '%o').order('id'),
  ilike: (db) => db().from('complex_items').select('name').ilike('name', 't%').order('id'),
  in_reserved_characters: (db) =>
    db().from('special_chars').select('id').in('val', ['a,b', '(a)', 'say "hi"']).order('id'),
  is_null: (db) => db().from('scores').select('id').is('score', null).order('id'),
  is_true: (db) => db().from('types').select('id').is('flag', true),
  not_is_null: (db) => db().from('scores').select('id').not('score', 'is', null).order('id'),
  not_in: (db) => items(db).select('id').not('id', 'in', '(1,2,3)').lte('id', 5).order('id'),
  match: (db) => db().from('complex_items').select('id').match({ name: 'Two', id: 2 }),
  filter_raw: (db) => items(db).select('id').filter('id', 'in', '(4,6)').order('id'),
  or: (db) => items(db).select('id').or('id.eq.1,id.eq.3').order('id'),
  or_nested_and: (db) =>
    items(db).select('id').or('id.lt.2,and(id.gt.12,id.lt.14)').order('id'),
  or_with_filters: (db) => items(db).select('id').or('id.eq.2,id.eq.9').gt('id', 5),
  // arrays, ranges, json containment
  contains_array: (db) => db().from('entities').select('id').contains('arr', [1, 2]).order('id'),
  contained_by_array: (db) =>
    db().from('entities').select('id').containedBy('arr', [1, 2]).order('id'),
  overlaps_array: (db) => db().from('entities').select('id').overlaps('arr', [3, 9]).order('id'),
  contains_json: (db) =>
    db().from('scores').select('id').contains('stats', { level: 2 }).order('id'),
  range_gt: (db) => db().from('ranges').select('id').rangeGt('range', '[2,4]').order('id'),
  range_adjacent: (db) =>
    db().from('ranges').select('id').rangeAdjacent('range', '(12,15)').order('id'),
  // full-text search
  fts: (db) =>
    db().from('entities').select('id').textSearch('text_search_vector', 'foo').order('id'),
  fts_plain_config: (db) =>
    db()
      .from('tsearch')
      .select('text_search_vector')
      .textSearch('text_search_vector', 'impossible fun', { type: 'plain', config: 'english' }),
  fts_phrase: (db) =>
    db()
      .from('tsearch')
      .select('text_search_vector')
      .textSearch('text_search_vector', 'fat cats', { type: 'phrase', config: 'english' }),
  fts_websearch: (db) =>
    db()
      .from('tsearch')
      .select('text_search_vector')
      .textSearch('text_search_vector', '"fun to do" -impossible', {
        type: 'websearch',
        config: 'english',
      }),
  // counts, HEAD
  count_exact: (db) =>
    items(db).select('id', { count: 'exact' }).order('id').range(0, 1),
  count_exact_head: (db) => items(db).select('*', { count: 'exact', head: true }),
  count_exact_filtered: (db) =>
    items(db).select('*', { count: 'exact', head: true }).gt('id', 10),
  // single / maybeSingle / csv
  single: (db) => items(db).select('id').eq('id', 7).single(),
  single_many_rows: (db) => items(db).select('id').lte('id', 2).single(),
  single_no_rows: (db) => items(db).select('id').eq('id', 99).single(),
  maybe_single_one: (db) => items(db).select('id').eq('id', 7).maybeSingle(),
  maybe_single_none: (db) => items(db).select('id').eq('id', 99).maybeSingle(),
  maybe_single_many: (db) => items(db).select('id').lte('id', 2).maybeSingle(),
  csv: (db) => db().from('complex_items').select('id,name').order('id').csv(),
  // views and other schemas
  view: (db) => db().from('items_view').select('id').order('id', { ascending: false }),
  schema_v2: (db) => db().schema('v2').from('parents').select('id,name').order('id'),
  schema_jsclient: (db) =>
    db(undefined, { schema: 'jsclient' })
      .from('books')
      .select('id,title,tags,meta,published')
      .order('id'),
  enum_filter: (db) =>
    db().schema('jsclient').from('authors').select('name').eq('mood', 'so-so'),
  // RPC
  rpc_post_args: (db) => db().rpc('add_them', { a: 1, b: 2 }),
  rpc_get_args: (db) => db().rpc('sayhello', { name: 'world' }, { get: true }),
  rpc_setof_filtered: (db) =>
    db().rpc('getitemrange', { min: 2, max: 8 }).gt('id', 4).order('id', { ascending: false }),
  rpc_get_count_head: (db) =>
    db().rpc('getitemrange', { min: 0, max: 5 }, { get: true, head: true, count: 'exact' }),
  rpc_table_result: (db) => db().rpc('ret_rows_table').eq('x', 2),
  rpc_defaults: (db) => db().rpc('many_defaults', { a: 1 }),
  rpc_array_arg: (db) => db().rpc('array_param', { arr: [1, 2, 3] }),
  rpc_array_arg_get: (db) => db().rpc('array_param', { arr: [4, 5] }, { get: true }),
  rpc_void: (db) => db().rpc('ret_void'),
  rpc_single: (db) => db().rpc('getitemrange', { min: 1, max: 2 }).single(),
  rpc_schema_v2: (db) => db().schema('v2').rpc('get_version'),
  rpc_jsclient_setof: (db) => db().schema('jsclient').rpc('books_by', { author: 1 }).select('title'),
  rpc_jsclient_enum: (db) => db().schema('jsclient').rpc('author_mood', { author_id: 3 }),
  // roles
  signed_in_read: (db) => db('gw_user').from('authors_only').select('id,secret'),
  // errors
  error_unknown_column: (db) => items(db).select('nope'),
  error_unknown_table: (db) => db().from('itemz').select('*'),
  error_anon_forbidden: (db) => db().from('authors_only').select('*'),
  error_bad_operator: (db) => items(db).select('id').filter('id', 'eqq', '1'),
  error_rpc_unknown: (db) => db().rpc('add_them', { x: 1 }),
  error_raise_pt402: (db) => db().rpc('raise_pt402'),
  error_raise_sqlstate: (db) => db().rpc('raise_sqlstate', { state: '23505', msg: 'dup' }),
  error_division_by_zero: (db) => db().rpc('divide_by_zero', {}, { get: true }),
  error_unknown_schema: (db) => db().schema('private').from('secrets').select('*'),
  error_throw_on_error: (db) => db().rpc('raise_pt402').throwOnError(),
}
