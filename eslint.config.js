const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');

/** A block for `files` forbidding relative imports that climb into any of the repository's `folders`. */
function importsNothingFrom(files, folders, message) {
  return restrictImports([files], `^(\\.\\./)+(${folders.join('|')})(/|$)`, message);
}

/**
 * Blocks forbidding imports that climb out of `folder`: a file `depth` folders below it may climb
 * `depth` levels. The default of 8 levels is far deeper than the tree goes.
 */
function importsNothingOutside(folder, deepest = 8) {
  return Array.from({ length: deepest + 1 }, (_, depth) =>
    restrictImports(
      [`${folder}/${'*/'.repeat(depth)}*`],
      `^(\\.\\./){${depth + 1}}`,
      `${folder}/ imports nothing outside ${folder}/.`,
    ),
  );
}

function restrictImports(files, regex, message) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns: [{ regex, message }] }] } };
}

module.exports = tseslint.config(
  { ignores: ['node_modules', 'dist', '.cache', '.data', 'bench/results', 'test-output'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Dependencies point one way: src/ is the application and imports nothing outside it; tools/ is built
  // into the image with it (tsconfig.build.json), so it imports neither bench/ nor test/; what tests,
  // benchmarks and the fuzzer share lives in tools/lib/, and bench/ and test/ never import each other.
  ...importsNothingOutside('src'),
  importsNothingFrom('tools/**', ['bench', 'test'], 'tools/ is built into the image: share code through tools/lib/.'),
  importsNothingFrom('bench/**', ['test'], 'bench/ and test/ share code through tools/lib/.'),
  importsNothingFrom('test/**', ['bench'], 'bench/ and test/ share code through tools/lib/.'),
  {
    // Tests, benchmarks and what they share read JSON bodies of many shapes.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'tools/lib/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: it imports the
    // workflow SDK, its own folder, and types; every side effect is an activity.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|\\./)',
              allowTypeImports: true,
              message: 'Workflows import only @temporalio/workflow, their own folder and types.',
            },
          ],
        },
      ],
    },
  },
);
