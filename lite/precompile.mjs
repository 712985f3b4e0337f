// Build step of scripts/build_lite.py: run a script in the browser's own interpreter (npm's Pyodide, run by Node.js)
// with PACKAGE... loaded and OUT_DIR as /out. lite/startup.py compiles the modules the kernel and a lesson's first
// cells import, so the page loads bytecode instead of compiling it; lite/preimport.py checks which of them the page's
// early Pyodide can import.
//   node lite/precompile.mjs SITE_PYODIDE_DIR OUT_DIR SCRIPT PACKAGE...
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [indexDir, outDir, script, ...packages] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(indexDir, "pyodide.mjs")).href);
// No column tables in the bytecode (PYTHONNODEBUGRANGES): a quarter smaller; tracebacks lose only their ^^^ markers.
const pyodide = await loadPyodide({ indexURL: indexDir + "/", env: { PYTHONNODEBUGRANGES: "1" },
                                    stdout: (s) => console.log(s), stderr: (s) => console.error(s) });
await pyodide.loadPackage(packages, { messageCallback: () => {} });
fs.mkdirSync(outDir, { recursive: true });
pyodide.FS.mkdirTree("/out");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: outDir }, "/out");
await pyodide.runPythonAsync(fs.readFileSync(script, "utf8"));
