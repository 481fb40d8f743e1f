%% @doc The system as objects: the `Beamtalk' global (version, classes, globals, help) and
%% `SystemNavigation default' (who implements and who sends a selector). Everything is computed from the
%% same method tables dispatch uses and from what each class module says of itself, so it is current after
%% every load and hot reload.
-module(beamtalk_system).
-include("beamtalk_abi.hrl").

-export([beamtalk/2, navigation/2, all_classes/0, help/1, help/2, help_named/2]).

-type class_ref() :: {'$bt_class', atom()}.

%% The globals that are not classes (each answers class-side messages).
-define(SINGLETONS, ['Beamtalk', 'Erlang', 'SystemNavigation', 'Transcript', 'Workspace']).

%% @doc The class side of `Beamtalk'.
-spec beamtalk(atom(), [term()]) -> {ok, term()} | nomethod.
beamtalk(version, []) ->
    {ok, case application:get_key(beamtalk_runtime, vsn) of
             {ok, V} -> unicode:characters_to_binary(V);
             undefined -> <<"unknown">>
         end};
beamtalk('classNamed:', [Name]) when is_atom(Name); is_binary(Name) ->
    {ok, class_named(Name)};
beamtalk(allClasses, []) ->
    {ok, all_classes()};
beamtalk(globals, []) ->
    Classes = [{C, {'$bt_class', C}} || {'$bt_class', C} <- all_classes()],
    Singletons = [{G, {'$bt_class', G}} || G <- ?SINGLETONS],
    {ok, maps:from_list(Classes ++ Singletons)};
beamtalk('help:', [{'$bt_class', Class}]) ->
    {ok, help(Class)};
beamtalk('help:selector:', [{'$bt_class', Class}, Selector]) when is_atom(Selector) ->
    {ok, help(Class, Selector)};
beamtalk(_, _) ->
    nomethod.

%% @doc What `SystemNavigation default' answers.
-spec navigation(atom(), [term()]) -> {ok, term()} | nomethod.
navigation(allClasses, []) ->
    {ok, all_classes()};
navigation('implementorsOf:', [Selector]) when is_atom(Selector) ->
    {ok, [{'$bt_class', C} || C <- beamtalk_xref:implementors(Selector), not lists:member(C, ?SINGLETONS)]};
navigation('sendersOf:', [Selector]) when is_atom(Selector) ->
    {ok, [method_reference(Site) || Site <- beamtalk_xref:senders(Selector)]};
navigation('referencesTo:', [{'$bt_class', Class}]) ->
    {ok, [method_reference(Site) || Site <- beamtalk_xref:references(Class)]};
navigation('referencesTo:', [Name]) when is_atom(Name) ->
    %% By name: also the globals that are not classes (`#Transcript').
    {ok, [method_reference(Site) || Site <- beamtalk_xref:references(Name)]};
navigation('classesInCategory:', [Category]) when is_atom(Category); is_binary(Category) ->
    Wanted = category_text(Category),
    {ok, [Ref || {'$bt_class', C} = Ref <- all_classes(), category_text(category(C)) =:= Wanted]};
navigation(allSelectors, []) ->
    {ok, lists:usort(lists:append([own(C) || {'$bt_class', C} <- all_classes()]))};
navigation(_, _) ->
    nomethod.

%% @doc Every class: the built-in ones and every class loaded on this node, by name.
-spec all_classes() -> [class_ref()].
all_classes() ->
    Builtin = [C || C <- maps:keys(beamtalk_class:builtin()), not lists:member(C, ?SINGLETONS)],
    Loaded = [list_to_atom(C) || {M, _} <- code:all_loaded(), ?BT_CLASS_MODULE_PREFIX ++ C <- [atom_to_list(M)]],
    [{'$bt_class', C} || C <- lists:usort(Builtin ++ Loaded)].

%% A class's category: what its class-side `category' method answers (`class category => #Shapes'), nil
%% for a class without one. An error in that method counts as none rather than failing the search.
-spec category(atom()) -> term().
category(Class) ->
    case beamtalk_class:defines_class_method(Class, category) of
        true -> try beamtalk_dispatch:send({'$bt_class', Class}, category, []) catch error:_ -> nil end;
        false -> nil
    end.

-spec category_text(term()) -> binary() | nil.
category_text(A) when is_atom(A), A =/= nil -> atom_to_binary(A, utf8);
category_text(B) when is_binary(B) -> B;
category_text(_) -> nil.

-spec class_named(atom() | binary()) -> class_ref() | nil.
class_named(Name) when is_binary(Name) ->
    %% A class's own module need not mention the class's name, so that atom may not exist yet while its
    %% module does; no atom is made for a name that is no class.
    Known = fun(Text) -> try binary_to_existing_atom(Text, utf8), true catch error:badarg -> false end end,
    case Known(Name) orelse Known(<<?BT_CLASS_MODULE_PREFIX, Name/binary>>) of
        true -> class_named(binary_to_atom(Name, utf8));
        false -> nil
    end;
class_named(Name) ->
    case beamtalk_class:exists(Name) andalso not lists:member(Name, ?SINGLETONS) of
        true -> {'$bt_class', Name};
        false -> nil
    end.

%% The selectors `Class' defines itself (its own module, extensions, built-in methods), not inherited.
-spec own(atom()) -> [atom()].
own(Class) ->
    lists:sort([S || {S, R} <- maps:to_list(beamtalk_class:methods(Class)), owner(R) =:= Class]).

-spec owner(beamtalk_class:method()) -> atom().
owner({builtin, C}) -> C;
owner({user, M, _}) ->
    case beamtalk_class:of_module(M) of
        undefined -> M;
        C -> C
    end.

%% A place in a method, as the `MethodReference' value queries answer (it prints as `Counter>>increment').
-spec method_reference({atom(), instance | class, atom(), non_neg_integer()}) -> tuple().
method_reference({Class, Side, Method, Line}) ->
    beamtalk_user_class:new_value('MethodReference', #{methodClass => {'$bt_class', Class}, selector => Method,
                                                       isClassSide => Side =:= class, line => Line}).

%% @doc `Beamtalk help: Counter': the class, its superclass, its comment, then each method's header with
%% its comment (instance side first); for a built-in class, the selectors it answers.
-spec help(atom()) -> binary().
help(Class) ->
    Head = io_lib:format("~s (~s subclass)", [Class, superclass_name(Class)]),
    Body = case docs(Class) of
               {ClassDoc, Methods} ->
                   [indent(ClassDoc, "  "),
                    [["\n  ", method_header(Side, Header), indent(Doc, "      ")]
                     || {Side, _, Header, Doc} <- Methods]];
               none ->
                   ["\n  ", lists:join(" ", [atom_to_list(S) || S <- own(Class)])]
           end,
    unicode:characters_to_binary([Head, Body]).

%% @doc `Beamtalk help: Counter selector: #increment': one method's header and comment, or where it is
%% inherited from.
-spec help(atom(), atom()) -> binary().
help(Class, Selector) ->
    Name = [atom_to_list(Class), ">>", atom_to_list(Selector)],
    Found = case docs(Class) of
                {_, Methods} -> [{H, D} || {instance, S, H, D} <- Methods, S =:= Selector];
                none -> []
            end,
    unicode:characters_to_binary(
      case {Found, maps:find(Selector, beamtalk_class:methods(Class))} of
          {[{Header, Doc} | _], _} -> [Header, indent(Doc, "    ")];
          {[], {ok, R}} -> [Name, " (from ", atom_to_list(owner(R)), ")"];
          {[], error} -> [atom_to_list(Class), " does not understand #", atom_to_list(Selector)]
      end).

%% @doc The REPL's `:help Counter [selector]': the help text, or why there is none.
-spec help_named(binary(), binary() | none) -> {ok, binary()} | {error, binary()}.
help_named(ClassName, Selector) ->
    case class_named(ClassName) of
        nil -> {error, <<"no class named ", ClassName/binary, " (:help lists the commands)">>};
        {'$bt_class', Class} when Selector =:= none -> {ok, help(Class)};
        {'$bt_class', Class} -> {ok, help(Class, binary_to_atom(Selector, utf8))}
    end.

-spec docs(atom()) -> {binary(), [{instance | class, atom(), binary(), binary()}]} | none.
docs(Class) ->
    M = beamtalk_class:module(Class),
    case erlang:function_exported(M, '__docs__', 0) of
        true -> M:'__docs__'();
        false -> none
    end.

-spec superclass_name(atom()) -> atom().
superclass_name(Class) ->
    case beamtalk_class:superclass(Class) of
        none -> nil;
        S -> S
    end.

-spec method_header(instance | class, binary()) -> iodata().
method_header(instance, Header) -> Header;
method_header(class, Header) -> ["class ", Header].

%% Each line of `Text' on a line of its own after `Prefix'; nothing for no text.
-spec indent(binary(), string()) -> iodata().
indent(<<>>, _) -> [];
indent(Text, Prefix) -> [["\n", Prefix, L] || L <- string:split(Text, "\n", all)].
