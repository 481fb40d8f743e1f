%% @doc `Ets' and `AtomicCounter': named, public ETS tables for sharing data between actors without
%% messages. A table is owned by the process that made it, as OTP has it; when the workspace runs a
%% keeper (`beamtalk_table_keeper'), the keeper is the table's heir, so a table made by one REPL
%% evaluation (a process that ends with it) is still there for the next.
-module(beamtalk_ets).

-export([new/2, exists/1, at/2, put/3, includes/2, remove/2, keys/1, size/1, delete/1]).
-export([counter_new/1, counter_exists/1, counter_add/2, counter_value/1, counter_reset/1]).

-define(KEEPER, beamtalk_table_keeper).

%% @doc A new named table of `Type' (`set', `orderedSet', `bag', `duplicateBag').
-spec new(atom(), atom()) -> atom().
new(Name, Type) when is_atom(Name), is_atom(Type) ->
    create(Name, [ets_type(Type)]).

-spec ets_type(atom()) -> set | ordered_set | bag | duplicate_bag.
ets_type(set) -> set;
ets_type(orderedSet) -> ordered_set;
ets_type(bag) -> bag;
ets_type(duplicateBag) -> duplicate_bag;
ets_type(Other) ->
    beamtalk_error:raise(bad_argument, 'Ets',
                         ["unknown table type ", beamtalk_print:print_string(Other),
                          "; hint: #set, #orderedSet, #bag or #duplicateBag"]).

-spec create(atom(), [atom()]) -> atom().
create(Name, Opts) ->
    case ets:whereis(Name) of
        undefined ->
            Heir = case whereis(?KEEPER) of
                       undefined -> [];
                       Keeper -> [{heir, Keeper, Name}]
                   end,
            ets:new(Name, [named_table, public | Opts] ++ Heir);
        _ ->
            beamtalk_error:raise('Error', table_exists, undefined,
                                 ["a table named ", beamtalk_print:print_string(Name),
                                  " exists already; hint: `Ets named: #", atom_to_list(Name), "`"])
    end.

%% @doc Whether a table of that name exists.
-spec exists(atom()) -> boolean().
exists(Name) when is_atom(Name) ->
    ets:whereis(Name) =/= undefined.

%% @doc The value under `Key' (a List of them in a bag), or nil.
-spec at(atom(), term()) -> term().
at(Name, Key) ->
    case {lookup(Name, Key), ets:info(Name, type)} of
        {[], _} -> nil;
        {Objects, Bag} when Bag =:= bag; Bag =:= duplicate_bag -> [V || {_, V} <- Objects];
        {[{_, V} | _], _} -> V
    end.

-spec put(atom(), term(), term()) -> term().
put(Name, Key, Value) ->
    true = table_call(Name, fun() -> ets:insert(Name, {Key, Value}) end),
    Value.

-spec includes(atom(), term()) -> boolean().
includes(Name, Key) ->
    table_call(Name, fun() -> ets:member(Name, Key) end).

-spec remove(atom(), term()) -> nil.
remove(Name, Key) ->
    true = table_call(Name, fun() -> ets:delete(Name, Key) end),
    nil.

-spec keys(atom()) -> [term()].
keys(Name) ->
    table_call(Name, fun() -> lists:usort([K || {K, _} <- ets:tab2list(Name)]) end).

-spec size(atom()) -> non_neg_integer().
size(Name) ->
    table_call(Name, fun() -> ets:info(Name, size) end).

-spec delete(atom()) -> nil.
delete(Name) ->
    true = table_call(Name, fun() -> ets:delete(Name) end),
    nil.

-spec lookup(atom(), term()) -> [tuple()].
lookup(Name, Key) ->
    table_call(Name, fun() -> ets:lookup(Name, Key) end).

%% A table that is gone (deleted, or its owner ended) is an error that names it.
-spec table_call(atom(), fun(() -> T)) -> T.
table_call(Name, Fun) ->
    try Fun()
    catch error:badarg ->
        case ets:whereis(Name) of
            undefined ->
                beamtalk_error:raise('Error', no_such_table, undefined,
                                     ["no table named ", beamtalk_print:print_string(Name),
                                      " (deleted, or its owner ended)"]);
            _ ->
                beamtalk_error:raise('Error', table_access, undefined,
                                     ["only its owner may do that to table ", beamtalk_print:print_string(Name)])
        end
    end.

%% @doc A counter at 0 in a table of its own.
-spec counter_new(atom()) -> atom().
counter_new(Name) when is_atom(Name) ->
    Name = create(Name, [set]),
    true = ets:insert(Name, {value, 0}),
    Name.

-spec counter_exists(atom()) -> boolean().
counter_exists(Name) when is_atom(Name) ->
    exists(Name) andalso ets:member(Name, value).

%% @doc Adds `N' (which may be negative) atomically; the new value.
-spec counter_add(atom(), integer()) -> integer().
counter_add(Name, N) when is_integer(N) ->
    counter_call(Name, fun() -> ets:update_counter(Name, value, N) end).

-spec counter_value(atom()) -> integer().
counter_value(Name) ->
    counter_call(Name, fun() -> ets:lookup_element(Name, value, 2) end).

-spec counter_reset(atom()) -> nil.
counter_reset(Name) ->
    true = counter_call(Name, fun() -> ets:insert(Name, {value, 0}) end),
    nil.

-spec counter_call(atom(), fun(() -> T)) -> T.
counter_call(Name, Fun) ->
    try Fun()
    catch error:badarg ->
        beamtalk_error:raise('Error', stale_counter, undefined,
                             ["the counter ", beamtalk_print:print_string(Name), " was deleted"])
    end.
