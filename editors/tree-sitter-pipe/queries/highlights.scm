; Highlighting of `.pipe` files (tree-sitter captures as Neovim and Helix
; name them).

(comment) @comment
(string) @string
(quantity) @number
(number) @number
(boolean) @boolean

; The word a statement starts with says what it is: `job`, `image`,
; `environment`, `step`, ...
(head) @keyword

[
  "template"
  "on"
  "dispatch"
  "enum"
] @keyword

(predicate
  kind: _ @keyword)

[
  "and"
  "or"
  "not"
  "in"
  "if"
] @keyword.operator

[
  "=="
  "!="
  ".."
  "="
  "->"
] @operator

(attribute
  "@" @attribute
  name: (identifier) @attribute)

(template
  name: (identifier) @function)

(call
  function: (identifier) @function.call)

(parameter
  name: (identifier) @variable.parameter)

(argument_name) @variable.parameter

(type_name) @type
(variant) @constant

(field
  key: (key) @property)

(member
  name: (identifier) @property)

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
  "<"
  ">"
] @punctuation.bracket

[
  ","
  ";"
  ":"
  "."
] @punctuation.delimiter
