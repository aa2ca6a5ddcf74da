/**
 * The tree-sitter grammar of `.pipe` files, for syntax highlighting in
 * editors built on tree-sitter (Neovim, Helix, Zed).
 *
 * It follows compiler/syntax/src/pipe.pest, the grammar pipec parses with:
 * a file is a list of statements of one shape,
 *
 *     @attr(...)  head  arg arg ...  [= expr]  [{ block } | { record }]
 *
 * plus `template NAME(params) -> kind { ... }` and `on dispatch(params)`.
 * Statements end at a newline, `;` or `,`. A newline is a token only where
 * it can end a statement or separate the items of a list or record; the
 * lexer skips it everywhere else (inside brackets, after an operator or
 * `=`), which is where the pest grammar allows newlines.
 * tests/tree_sitter.rs keeps the two grammars in step.
 */

const PREC = {
  if: 1,
  or: 2,
  and: 3,
  not: 4,
  compare: 5,
  range: 6,
  postfix: 7,
};

// Words that are names where a keyword could not stand (statement heads,
// record keys, argument and parameter names).
const CONTEXTUAL = ['on', 'template', 'dispatch', 'enum', 'branch', 'tag', 'event', 'true', 'false'];

module.exports = grammar({
  name: 'pipe',

  extras: $ => [/\s/, $.comment],

  word: $ => $.identifier,

  conflicts: $ => [
    [$.template, $._name],
  ],

  rules: {
    source_file: $ => seq(repeat($._sep), optional($._statements)),

    _statements: $ => seq(
      $.statement,
      repeat(seq(repeat1($._sep), $.statement)),
      repeat($._sep),
    ),

    _sep: _ => choice('\n', ';', ','),

    block: $ => seq('{', repeat($._sep), optional($._statements), '}'),

    statement: $ => seq(
      repeat($.attribute),
      choice($.template, $.dispatch, $._generic),
    ),

    attribute: $ => seq('@', field('name', $.identifier), optional($.arguments)),

    _generic: $ => prec.right(seq(
      field('head', $.head),
      repeat($._expression),
      optional(seq('=', field('value', $._expression))),
      optional(field('body', $.block)),
    )),

    head: $ => $._name,

    template: $ => seq(
      'template',
      field('name', $._name),
      $.parameters,
      optional(seq('->', field('kind', $.identifier))),
      field('body', $.block),
    ),

    dispatch: $ => prec(1, seq('on', 'dispatch', optional($.parameters))),

    parameters: $ => seq(
      '(',
      optional(seq(commaSep1($.parameter), optional(','))),
      ')',
    ),

    parameter: $ => seq(
      field('name', $._name),
      ':',
      field('type', $.type),
      optional(seq('=', field('default', $._expression))),
    ),

    type: $ => seq(choice($.enum_type, $._named_type), optional('?')),

    _named_type: $ => seq(
      alias($.identifier, $.type_name),
      optional(seq('<', commaSep1($.type), '>')),
    ),

    enum_type: $ => seq(
      'enum',
      '(',
      commaSep1(alias($.identifier, $.variant)),
      optional(','),
      ')',
    ),

    _expression: $ => choice(
      $.unary_expression,
      $.binary_expression,
      $.call,
      $.member,
      $._primary,
    ),

    unary_expression: $ => prec(PREC.not, seq('not', $._expression)),

    binary_expression: $ => choice(
      ...[
        ['if', PREC.if],
        ['or', PREC.or],
        ['and', PREC.and],
        ['==', PREC.compare],
        ['!=', PREC.compare],
        ['in', PREC.compare],
        ['..', PREC.range],
      ].map(([op, p]) => prec.left(p, seq(
        field('left', $._expression),
        field('operator', op),
        field('right', $._expression),
      ))),
    ),

    call: $ => prec(PREC.postfix, seq(field('function', $._expression), $.arguments)),

    member: $ => prec(PREC.postfix, seq($._expression, '.', field('name', $.identifier))),

    arguments: $ => seq('(', optional(seq(commaSep1($.argument), optional(','))), ')'),

    argument: $ => seq(
      optional(seq(field('name', alias($._name, $.argument_name)), ':')),
      $._expression,
    ),

    _primary: $ => choice(
      $.predicate,
      $.quantity,
      $.number,
      $.boolean,
      $.string,
      $.list,
      $.record,
      $.parenthesized,
      $.identifier,
    ),

    // `branch main`, `tag "v*"`, `event pull_request`, or the word alone.
    predicate: $ => prec.right(seq(
      field('kind', choice('branch', 'tag', 'event')),
      optional(field('operand', choice($.string, $.list, $.identifier))),
    )),

    parenthesized: $ => seq('(', $._expression, ')'),

    list: $ => seq(
      '[',
      optional(seq(
        $._expression,
        repeat(seq($._item_sep, $._expression)),
        optional($._item_sep),
      )),
      ']',
    ),

    record: $ => seq(
      '{',
      repeat($._sep),
      $.field,
      repeat(seq($._item_sep, $.field)),
      optional($._item_sep),
      '}',
    ),

    // Items of lists and records are separated by commas or newlines.
    _item_sep: _ => repeat1(choice(',', '\n')),

    field: $ => seq(
      field('key', choice(alias($._name, $.key), alias($.string, $.key))),
      ':',
      field('value', $._expression),
    ),

    _name: $ => choice($.identifier, alias(choice(...CONTEXTUAL), $.identifier)),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    quantity: _ => token(/[0-9][0-9_]*(\.[0-9][0-9_]*)?(%|[A-Za-z][A-Za-z0-9]*)/),

    number: _ => token(/[0-9][0-9_]*(\.[0-9][0-9_]*)?/),

    boolean: _ => choice('true', 'false'),

    string: $ => choice($._line_string, $._block_string),

    // Escapes: \n \t \r \\ \" and \u{…} with one to six hex digits.
    _line_string: _ => token(seq(
      '"',
      repeat(choice(/[^"\\\r\n]/, /\\[ntr\\"]/, /\\u\{[0-9A-Fa-f]{1,6}\}/)),
      '"',
    )),

    // `"""` … `"""`: everything up to the first three quotes in a row.
    _block_string: _ => token(seq('"""', repeat(choice(/[^"]/, /"[^"]/, /""[^"]/)), '"""')),

    comment: _ => token(seq('//', /[^\r\n]*/)),
  },
});

function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}
