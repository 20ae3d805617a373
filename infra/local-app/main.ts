// `npm start`: checks the Node version before anything heavy is loaded, then runs the CLI.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
const { main } = await import('./cli.js');
await main();
