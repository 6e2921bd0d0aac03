// Scratch folders for tests, inside the git-ignored sim/out/ (tests write nowhere else).
export { scratchRunDir as scratchDir } from '../src/testing/scratch.js';
