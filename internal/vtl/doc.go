// Package vtl is a Velocity Template Language engine that renders mapping templates the
// way API Gateway does: Apache Velocity 1.7 on Java values. It is a leaf library: it knows
// nothing of gateways; the caller binds $input, $util, $context and $stageVariables as
// globals (host Objects, *Map, *List and scalars).
//
// Parse once, Execute many: Parse resolves variables to slots, method names to ids and
// constant regular expressions to compiled ones; Execute reuses pooled state and
// allocates only what the template itself creates.
//
// # Choices where Velocity 1.7 and API Gateway are ambiguous
//
//   - Whitespace: Velocity 1.7's lexer folds spaces, tabs and one newline after a
//     directive's closing ")" (and after #end, #else, #break, #stop) into the directive,
//     so a line holding only "#if(...)", "#foreach(...)", "#set(...)" or "#end" emits no
//     newline; a directive followed by other text on its line leaves that text alone. The
//     indentation before #set is dropped too; the indentation before other directives is
//     kept. AWS's own examples rely on this (the blank line after
//     "}#if($foreach.hasNext),#end" in its foreach samples). A "##" comment eats its
//     newline.
//   - Null: a null or undefined reference renders as the empty string (API Gateway), also
//     inside interpolated strings and as an operand of string +. null == "" is true.
//     #set($x = $null) removes $x (it then reads as null even if a global has that name).
//   - Lists print as compact JSON when they come from JSON (ParseJSON, NewList: what
//     $input.path returns, [recorded] [{"foo":"bar"}]); lists the template builds ([1, 2],
//     ranges, keySet(), values(), entrySet(), split()) are java.util.ArrayLists in
//     Velocity and print Java-style: [1, 2]. Maps always print Java-style {a=1, b=x},
//     except inside a JSON list, where everything is JSON.
//   - + concatenates when either operand is a string (Velocity 1.7's
//     ASTAddNode.handleSpecial); otherwise + - * / % on non-numbers yield null. int64
//     overflow continues in float64 (Velocity widens to BigInteger).
//   - < <= > >= on non-numbers are false (Velocity 1.7 logs an error); == on different
//     non-number types compares their toString.
//   - A method a value does not have, or arguments of the wrong types, yield null (Velocity
//     logs and continues). An exception the Java method would throw (index out of range,
//     invalid regular expression, missing group in a replacement) aborts Execute with an
//     *ExecError, as Velocity's MethodInvocationException does. Indexing a list out of
//     range ($l[9]) does the same; negative indexes count from the end (Velocity 1.7).
//   - Identifiers may contain '-' ($foo-bar is one reference), as in Velocity 1.x.
//   - String literals: a doubled quote stands for one quote; backslashes stay as
//     written ("\n" is a backslash and an n). Method calls apply to references only.
//   - #break leaves the innermost #foreach (#break($foreach) too); outside a loop it ends
//     rendering like #stop. $foreach.parent reaches the enclosing loop.
//   - Map keys are strings: a non-string key ({1: "a"}, $m.put(1, "a")) uses its string
//     form.
//   - Regular expressions are Java's syntax run on RE2: POSIX classes (\p{Alpha}),
//     possessive quantifiers (run greedy), \Q..\E and named groups work; lookaround and
//     backreferences are invalid patterns. Each match costs 16 steps of Limits.MaxSteps.
//   - Host Objects: $x.name is Property("name"); $x.getName() and $x.get('name') try
//     Property("name") first; everything else is Call. Assigning to a host Object's
//     property (#set($x.y = 1)) is ignored. Call receives a fresh argument slice. A
//     MapObject is a java.util.Map besides: its Map's methods come before Call, and
//     #set, #foreach, equality and printing see the Map.
//
// # Limits
//
// Every Execute is bounded by Limits: output bytes (which also bound every string the
// template builds), evaluation steps (nodes, loop iterations, range items, regexp
// matches), evaluation depth, and iterations per #foreach (1000, AWS's cap, stopping
// silently). Parse bounds nesting at 200 levels. A panic inside Execute is recovered and
// returned as an error.
package vtl
