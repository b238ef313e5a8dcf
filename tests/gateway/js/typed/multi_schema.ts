// The generated types for several schemas at once (test, v2, jsclient: odd identifiers,
// ranges, tsvector, overloads, unnamed arguments…) must compile and select a schema.
import { PostgrestClient } from '@supabase/postgrest-js'
import type { Database, Tables } from './all.types'

declare const url: string
const db = new PostgrestClient<Database, Database['__InternalSupabase'], 'test'>(url, {
  schema: 'test',
})

export async function queries(): Promise<void> {
  const { data: items } = await db.from('items').select('id').order('id')
  const id: number | undefined = items?.[0]?.id
  const { data: parents } = await db.schema('v2').from('parents').select('name')
  const name: string | undefined = parents?.[0]?.name
  const { data: hello } = await db.rpc('sayhello', { name: 'world' })
  const greeting: string | null = hello
  const { data: sum } = await db.rpc('overloaded', { a: 1, b: 2 })
  const { data: odd } = await db.from('MixedCase').select('someId, Label')
  const mixed: number | undefined = odd?.[0]?.someId
  const books: Tables<{ schema: 'jsclient' }, 'books'>[] = []
  console.log(id, name, greeting, sum, mixed, books)
}
