// Typed queries against the generated `Database` type (gateway/typescript.py) for schema
// jsclient: tests/gateway/clients/test_typescript_types.py compiles this file with
// `tsc --noEmit --strict` next to the generated database.types.ts; it must compile.
import { PostgrestClient } from '@supabase/postgrest-js'
import type { Database, Enums, Tables, TablesInsert, TablesUpdate } from './database.types'

declare const url: string
const db = new PostgrestClient<Database>(url)

export async function reads(): Promise<void> {
  const { data: books } = await db.from('books').select('id, title, tags, meta').eq('author_id', 1)
  if (books) {
    const id: number = books[0].id
    const title: string = books[0].title
    const tags: string[] = books[0].tags
    console.log(id, title, tags, books[0].meta)
  }
  const { data: row } = await db.from('books').select('*').eq('id', 1).single()
  if (row) {
    const whole: Tables<'books'> = row
    const published: string | null = whole.published
    console.log(published)
  }
  const { data: moods } = await db.from('authors').select('name, mood').in('mood', ['happy', 'sad'])
  const mood: Enums<'mood'> | undefined = moods?.[0]?.mood
  const { data: view } = await db.from('book_titles').select('id, title').order('id')
  const viewTitle: string | null | undefined = view?.[0]?.title
  console.log(mood, viewTitle)
}

export async function embedding(): Promise<void> {
  const { data: book } = await db.from('books').select('title, authors(name, mood)').single()
  if (book) {
    const author: string = book.authors.name // many-to-one on a NOT NULL key: an object
    console.log(author)
  }
  const { data: authors } = await db
    .from('authors')
    .select('id, books(title), author_profiles(bio)')
  if (authors) {
    const titles: string[] = authors[0].books.map((b) => b.title) // one-to-many: an array
    const bio: string | null | undefined = authors[0].author_profiles?.bio // one-to-one
    console.log(titles, bio)
  }
  const { data: genres } = await db.from('books').select('title, genres(name)')
  const genre: string | undefined = genres?.[0]?.genres[0]?.name // many-to-many
  const { data: listed } = await db.from('book_list').select('title, authors(name)')
  const viaView: string | undefined = listed?.[0]?.authors?.name // a view's inherited key
  console.log(genre, viaView)
}

export async function writes(): Promise<void> {
  const newBook: TablesInsert<'books'> = { title: 'Ficciones', author_id: 3 } // id, tags: defaults
  const { data: inserted } = await db.from('books').insert(newBook).select('id').single()
  const newId: number | undefined = inserted?.id
  await db.from('events').insert({ name: 'beta', place: { street: 'Main', city: null } })
  const patch: TablesUpdate<'authors'> = { mood: 'sad' }
  await db.from('authors').update(patch).eq('id', 2)
  await db.from('authors').upsert({ id: 1, name: 'U. K. Le Guin' }, { onConflict: 'id' })
  await db.from('genres').delete().eq('id', 3)
  console.log(newId)
}

export async function rpc(): Promise<void> {
  const { data: count } = await db.rpc('count_books', { min_id: 2 })
  const n: number | null = count
  const { data: none } = await db.rpc('count_books')
  const { data: pairs } = await db.rpc('title_pairs')
  const pair: string | undefined = pairs?.[0]?.title
  const { data: mood } = await db.rpc('author_mood', { author_id: 1 })
  const m: Database['jsclient']['Enums']['mood'] | null = mood
  const { data: byAuthor } = await db.rpc('books_by', { author: 1 }).select('title')
  console.log(n, none, pair, m, byAuthor?.[0]?.title)
}
