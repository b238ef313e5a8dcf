// Issue 5 (REST gateway, part 2) through postgrest-js: embedding of each relationship
// kind, inserts, upserts, updates and deletes returning rows, explain(). Schema
// `jsclient` (../fixtures.sql); writes run as gw_user, anon may only read. The pytest
// module runs one case per node process and restores the rows after each.
const js = (db, role) => db(role, { schema: 'jsclient' })
const user = (db) => js(db, 'gw_user')

export default {
  // embedding
  embed_many_to_one: (db) => js(db).from('books').select('id,title,authors(name)').order('id'),
  embed_one_to_many: (db) =>
    js(db)
      .from('authors')
      .select('id,books(id)')
      .order('id')
      .order('id', { referencedTable: 'books' }),
  embed_one_to_one: (db) =>
    js(db).from('authors').select('name,author_profiles(bio)').order('id'),
  embed_many_to_many: (db) => js(db).from('books').select('title,genres(name)').order('id'),
  embed_inner_join_filter: (db) =>
    js(db)
      .from('authors')
      .select('name,books!inner(title)')
      .eq('books.title', 'The Dispossessed'),
  embed_alias_and_fk_hint: (db) =>
    js(db).from('books').select('title,writer:authors!books_author_id_fkey(name)').eq('id', 3),
  embed_spread: (db) => js(db).from('books').select('title,...authors(author:name)').eq('id', 1),
  embed_referenced_order_limit: (db) =>
    js(db)
      .from('authors')
      .select('id,books(id)')
      .eq('id', 1)
      .order('id', { referencedTable: 'books', ascending: false })
      .limit(1, { referencedTable: 'books' }),
  embed_is_null: (db) => js(db).from('authors').select('name,books(id)').is('books', null),
  embed_not_null: (db) =>
    js(db)
      .from('authors')
      .select('name,books(id)')
      .not('books', 'is', null)
      .order('id')
      .order('id', { referencedTable: 'books' }),
  embed_referenced_or: (db) =>
    js(db)
      .from('authors')
      .select('name,books(title)')
      .or('title.eq.The Dispossessed,title.eq.Invisible Cities', { referencedTable: 'books' })
      .order('id'),
  embed_order_by_to_one: (db) =>
    js(db).from('books').select('title,authors(name)').order('authors(name)').order('id'),
  embed_from_view: (db) =>
    js(db).from('book_list').select('title,authors(name)').eq('author_id', 2),
  embed_rpc_result: (db) =>
    js(db).rpc('books_by', { author: 1 }).select('title,authors(name)'),
  // inserts
  insert_select: (db) => user(db).from('authors').insert({ id: 4, name: 'Toni' }).select(),
  insert_minimal: (db) =>
    user(db).from('authors').insert({ id: 5, name: 'Clarice', mood: 'sad' }),
  insert_bulk_defaults: (db) =>
    user(db)
      .from('books')
      .insert(
        [
          { title: 'Ficciones', author_id: 3 },
          { title: 'The Aleph', author_id: 3, tags: ['stories'] },
        ],
        { defaultToNull: false },
      )
      .select('id,title,tags'),
  insert_single: (db) =>
    user(db).from('books').insert({ title: 'Six Memos', author_id: 2 }).select('id,title').single(),
  insert_count: (db) =>
    user(db).from('genres').insert({ id: 4, name: 'poetry' }, { count: 'exact' }),
  insert_select_embedded: (db) =>
    user(db)
      .from('books')
      .insert({ title: 'Labyrinths', author_id: 3 })
      .select('title,authors(name)'),
  insert_generated_and_identity: (db) =>
    user(db).from('events').insert({ name: 'beta' }).select('id,name,name_length,happened_on'),
  insert_identity_always_rejected: (db) =>
    user(db).from('events').insert({ id: 7, name: 'gamma' }),
  insert_anon_forbidden: (db) => js(db).from('genres').insert({ id: 5, name: 'drama' }),
  // upserts
  upsert_merge: (db) =>
    user(db).from('authors').upsert({ id: 1, name: 'U. K. Le Guin', mood: 'happy' }).select(),
  upsert_merge_and_insert: (db) =>
    user(db)
      .from('authors')
      .upsert(
        [
          { id: 2, name: 'Calvino' },
          { id: 4, name: 'Toni' },
        ],
        { defaultToNull: false },
      )
      .select('id,name'),
  upsert_on_conflict_merge: (db) =>
    user(db).from('genres').upsert({ id: 10, name: 'essay' }, { onConflict: 'name' }).select(),
  upsert_on_conflict_ignore: (db) =>
    user(db)
      .from('genres')
      .upsert(
        [
          { id: 9, name: 'fantasy' },
          { id: 4, name: 'poetry' },
        ],
        { onConflict: 'name', ignoreDuplicates: true },
      )
      .select(),
  // updates
  update_select: (db) =>
    user(db).from('authors').update({ mood: 'sad' }).eq('id', 2).select(),
  update_count: (db) =>
    user(db)
      .from('books')
      .update({ published: '1972-01-01' }, { count: 'exact' })
      .is('published', null),
  update_single_embedded: (db) =>
    user(db)
      .from('books')
      .update({ title: 'Earthsea' })
      .eq('id', 1)
      .select('title,authors(name)')
      .single(),
  update_no_match: (db) =>
    user(db).from('authors').update({ name: 'Nobody' }).eq('id', 99).select('id'),
  // deletes
  delete_select: (db) => user(db).from('authors').delete().eq('id', 3).select('id,name'),
  delete_count: (db) =>
    user(db).from('book_genres').delete({ count: 'exact' }).eq('genre_id', 1),
  delete_foreign_key_violation: (db) => user(db).from('authors').delete().eq('id', 1),
  delete_throw_on_error: (db) => user(db).from('authors').delete().eq('id', 1).throwOnError(),
  // explain()
  explain_json: (db) => js(db).from('books').select('id').explain({ format: 'json' }),
  explain_text: (db) => js(db).from('books').select('id').explain(),
  // RPC that writes (POST): works before issue 5's table writes
  rpc_writes: (db) => user(db).rpc('add_genre', { id: 6, name: 'satire' }),
}
