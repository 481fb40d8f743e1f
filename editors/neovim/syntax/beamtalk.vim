" Beamtalk syntax: comments, strings with {interpolation}, symbols, numbers, keywords, classes.
if exists("b:current_syntax")
  finish
endif

syntax match beamtalkComment "//.*$" contains=@Spell
syntax region beamtalkString start=+"+ skip=+\\"+ end=+"+ contains=beamtalkInterpolation
syntax region beamtalkInterpolation matchgroup=Special start=+{+ end=+}+ contained
syntax match beamtalkSymbol "#[A-Za-z_][A-Za-z0-9_:]*"
syntax match beamtalkCharacter "\$."
syntax match beamtalkNumber "\<-\=\d\+\(\.\d\+\)\=\([eE]-\=\d\+\)\="
syntax match beamtalkKeyword "\<[a-z_][A-Za-z0-9_]*:"
syntax match beamtalkClass "\<[A-Z][A-Za-z0-9_]*\>"
syntax match beamtalkField "\<self\.[a-z_][A-Za-z0-9_]*"
syntax keyword beamtalkPseudo self super nil true false thisContext
syntax match beamtalkOperator ":=\|=>\|\^\|->"

highlight default link beamtalkComment Comment
highlight default link beamtalkString String
highlight default link beamtalkSymbol Constant
highlight default link beamtalkCharacter Character
highlight default link beamtalkNumber Number
highlight default link beamtalkKeyword Function
highlight default link beamtalkClass Type
highlight default link beamtalkField Identifier
highlight default link beamtalkPseudo Keyword
highlight default link beamtalkOperator Operator

let b:current_syntax = "beamtalk"
