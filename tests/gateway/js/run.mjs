// Runs postgrest-js cases against a gateway and prints one JSON line per case.
//
//   GATEWAY_URL=http://127.0.0.1:3000 GATEWAY_JWTS='{"gw_user":"eyJ…"}' \
//     node run.mjs <suite> [case …]
//
// A suite (cases/<suite>.mjs) exports an object of cases: name → (db) => builder, where
// db(role) is a PostgrestClient for the gateway (anonymous without a role, else with the
// role's token from GATEWAY_JWTS) and db(role, {schema}) one for another exposed schema.
// Each line is {"case", "status", "count", "data", "error"} as postgrest-js resolved them,
// or {"case", "thrown": {name, message, code, details, hint}} when the call rejected.
// Cases run one after the other, in the order given (default: the suite's order).
import { PostgrestClient } from '@supabase/postgrest-js'

const [suiteName, ...wanted] = process.argv.slice(2)
if (!suiteName) {
  console.error('usage: node run.mjs <suite> [case …]')
  process.exit(2)
}
const url = process.env.GATEWAY_URL
if (!url) {
  console.error('GATEWAY_URL is not set')
  process.exit(2)
}
const tokens = JSON.parse(process.env.GATEWAY_JWTS ?? '{}')
const { default: suite } = await import(`./cases/${suiteName}.mjs`)

function db(role, options = {}) {
  const headers = {}
  if (role !== undefined) {
    if (!(role in tokens)) throw new Error(`no token for role ${role} in GATEWAY_JWTS`)
    headers.Authorization = `Bearer ${tokens[role]}`
  }
  return new PostgrestClient(url, { headers, ...options })
}

for (const name of wanted.length > 0 ? wanted : Object.keys(suite)) {
  const build = suite[name]
  if (build === undefined) {
    console.error(`unknown case ${suiteName}/${name}`)
    process.exit(2)
  }
  let line
  try {
    const { status, count, data, error } = await build(db)
    line = { case: name, status, count, data, error }
  } catch (err) {
    const { name: kind, message, code, details, hint } = err
    line = { case: name, thrown: { name: kind, message, code, details, hint } }
  }
  console.log(JSON.stringify(line))
}
