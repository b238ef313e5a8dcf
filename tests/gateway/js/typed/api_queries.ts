// Typed queries against Taproot's own `api` schema (the example of docs/typescript-types.md):
// the generated api.types.ts must make these compile.
import { PostgrestClient } from '@supabase/postgrest-js'
import type { Database, Tables, TablesInsert } from './api.types'

declare const token: string
const api = new PostgrestClient<Database>('http://localhost:3000/api', {
  headers: { Authorization: `Bearer ${token}` },
})

export async function documents(workspace: string): Promise<void> {
  const { data } = await api
    .from('documents')
    .select('id, title, metadata, workspaces(name)')
    .eq('workspace_id', workspace)
  const name: string | undefined = data?.[0]?.workspaces.name
  const row: Partial<Tables<'documents'>> = { title: 'x' }
  const draft: TablesInsert<'documents'> = { title: 'New', workspace_id: workspace }
  await api.from('documents').insert(draft).select('id').single()
  const { data: hits } = await api.rpc('search_documents', {
    workspace_id: workspace,
    query: 'launch plan',
  })
  const rank: number | undefined = hits?.[0]?.rank
  console.log(name, row, rank)
}
