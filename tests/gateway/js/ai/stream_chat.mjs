// Streams one chat completion with openai-node from the AI sidecar and prints the outcome.
//
//   AI_BASE_URL=http://127.0.0.1:3001/api/ai/v1 AI_TOKEN=eyJ… AI_WORKSPACE=<uuid> \
//     AI_MODEL=<model> node ai/stream_chat.mjs
//
// Prints one JSON line: {"text", "usage", "chunks", "usage_chunks"} — the joined content
// deltas, the usage chunk's usage (null without one), how many chunks came and how many
// carried usage. On an error it prints {"thrown": {name, status, message}} (name: the
// error's class, e.g. PermissionDeniedError) and exits 1.
import OpenAI from 'openai'

function required(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`${name} is not set`)
    process.exit(2)
  }
  return value
}

const client = new OpenAI({
  baseURL: required('AI_BASE_URL'),
  apiKey: required('AI_TOKEN'),
  defaultHeaders: { 'X-Taproot-Workspace': required('AI_WORKSPACE') },
  maxRetries: 0,
})

try {
  const stream = await client.chat.completions.create({
    model: required('AI_MODEL'),
    messages: [{ role: 'user', content: 'Stream to me from node' }],
    stream: true,
    stream_options: { include_usage: true },
  })
  const parts = []
  let usage = null
  let chunks = 0
  let usageChunks = 0
  for await (const chunk of stream) {
    chunks += 1
    for (const choice of chunk.choices) parts.push(choice.delta?.content ?? '')
    if (chunk.usage) {
      usage = chunk.usage
      usageChunks += 1
    }
  }
  console.log(JSON.stringify({ text: parts.join(''), usage, chunks, usage_chunks: usageChunks }))
} catch (error) {
  const { status, message } = error
  const name = error.constructor?.name ?? error.name
  console.log(JSON.stringify({ thrown: { name, status: status ?? null, message } }))
  process.exit(1)
}
