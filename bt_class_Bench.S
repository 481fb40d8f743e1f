{module, bt_class_Bench}.  %% version = 0

{exports, [{'__class_respond__',3},
           {'__class_state__',0},
           {'__fields__',0},
           {'__modifiers__',0},
           {'__respond__',3},
           {'__selectors__',0},
           {'__source__',0},
           {'__superclass__',0},
           {'c:fib:',2},
           {'c:loop:',2},
           {module_info,0},
           {module_info,1}]}.

{attributes, []}.

{labels, 68}.


{function, '__superclass__', 0, 2}.
  {label,1}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__superclass__'},0}.
  {label,2}.
    {move,{atom,'Object'},{x,0}}.
    return.


{function, '__source__', 0, 4}.
  {label,3}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__source__'},0}.
  {label,4}.
    {move,{literal,<<"Object subclass: Bench\n  class loop: n =>\n    s := 0\n    1 to: n do: [:i | s := s + i]\n    s\n  class fib: n =>\n    n < 2 ifTrue: [^n]\n    (self fib: n - 1) + (self fib: n - 2)">>},
          {x,0}}.
    return.


{function, '__modifiers__', 0, 6}.
  {label,5}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__modifiers__'},0}.
  {label,6}.
    {move,nil,{x,0}}.
    return.


{function, '__selectors__', 0, 8}.
  {label,7}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__selectors__'},0}.
  {label,8}.
    {move,nil,{x,0}}.
    return.


{function, '__fields__', 0, 10}.
  {label,9}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__fields__'},0}.
  {label,10}.
    {move,nil,{x,0}}.
    return.


{function, '__class_state__', 0, 12}.
  {label,11}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__class_state__'},0}.
  {label,12}.
    {move,nil,{x,0}}.
    return.


{function, '__respond__', 3, 14}.
  {label,13}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__respond__'},3}.
  {label,14}.
    {move,{atom,nomethod},{x,0}}.
    return.


{function, '__class_respond__', 3, 16}.
  {label,15}.
    {line,[{location,[],1}]}.
    {func_info,{atom,bt_class_Bench},{atom,'__class_respond__'},3}.
  {label,16}.
    {select_val,{x,0},
                {f,19},
                {list,[{atom,'fib:'},{f,18},{atom,'loop:'},{f,17}]}}.
  {label,17}.
    {test,is_nonempty_list,{f,19},[{x,2}]}.
    {get_list,{x,2},{x,0},{x,2}}.
    {test,is_nil,{f,19},[{x,2}]}.
    {allocate,0,2}.
    {swap,{x,0},{x,1}}.
    {call,2,{f,21}}. % 'c:loop:'/2
    {test_heap,3,1}.
    {put_tuple2,{x,0},{list,[{atom,ok},{x,0}]}}.
    {deallocate,0}.
    return.
  {label,18}.
    {test,is_nonempty_list,{f,19},[{x,2}]}.
    {get_list,{x,2},{x,0},{x,2}}.
    {test,is_nil,{f,19},[{x,2}]}.
    {allocate,0,2}.
    {swap,{x,0},{x,1}}.
    {call,2,{f,25}}. % 'c:fib:'/2
    {test_heap,3,1}.
    {put_tuple2,{x,0},{list,[{atom,ok},{x,0}]}}.
    {deallocate,0}.
    return.
  {label,19}.
    {move,{atom,nomethod},{x,0}}.
    return.


{function, 'c:loop:', 2, 21}.
  {label,20}.
    {line,[{location,[],2}]}.
    {func_info,{atom,bt_class_Bench},{atom,'c:loop:'},2}.
  {label,21}.
    {test,is_integer,{f,22},[{x,1}]}.
    {move,{x,1},{x,2}}.
    {move,{integer,0},{x,1}}.
    {move,{integer,1},{x,0}}.
    {call_only,3,{f,64}}. % '-c:loop:/2-Loop@4/2-0-'/3
  {label,22}.
    {allocate_heap,0,{alloc,[{words,1},{floats,0},{funs,1}]},2}.
    {make_fun3,{f,58},0,0,{x,2},{list,[{x,1}]}}.
    {move,{literal,[0]},{x,1}}.
    {move,{literal,[s]},{x,0}}.
    {line,[{location,[],4}]}.
    {call_ext,3,{extfunc,beamtalk_rt,scoped,3}}.
    {test,is_tuple,{f,23},[{x,0}]}.
    {test,test_arity,{f,23},[{x,0},2]}.
    {get_tuple_element,{x,0},1,{x,1}}.
    {test,is_nonempty_list,{f,23},[{x,1}]}.
    {get_list,{x,1},{x,2},{x,1}}.
    {test,is_nil,{f,23},[{x,1}]}.
    {move,{x,2},{x,0}}.
    {deallocate,0}.
    return.
  {label,23}.
    {badmatch,{x,0}}.


{function, 'c:fib:', 2, 25}.
  {label,24}.
    {line,[{location,[],6}]}.
    {func_info,{atom,bt_class_Bench},{atom,'c:fib:'},2}.
  {label,25}.
    {allocate,5,2}.
    {init_yregs,{list,[{y,0},{y,1},{y,4}]}}.
    {move,{x,1},{y,2}}.
    {move,{x,0},{y,3}}.
    {test,is_number,{f,26},[{x,1}]}.
    {bif,'<',{f,0},[{tr,{x,1},number},{integer,2}],{x,0}}.
    {move,{x,0},{y,1}}.
    {jump,{f,27}}.
  {label,26}.
    {move,{literal,[2]},{x,2}}.
    {move,{x,1},{x,0}}.
    {move,{atom,'<'},{x,1}}.
    {line,[{scope,[3]},{location,[],7}]}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
    {move,{x,0},{y,1}}.
  {label,27}.
    {select_val,{y,1},{f,39},{list,[{atom,false},{f,29},{atom,true},{f,28}]}}.
  {label,28}.
    {move,{y,2},{x,0}}.
    {deallocate,5}.
    return.
  {label,29}.
    {test,is_integer,{f,30},[{y,2}]}.
    {line,[{location,[],8}]}.
    {gc_bif,'-',{f,0},0,[{tr,{y,2},{t_integer,any}},{integer,1}],{x,0}}.
    {jump,{f,31}}.
  {label,30}.
    {move,{atom,'-'},{x,1}}.
    {move,{literal,[1]},{x,2}}.
    {init_yregs,{list,[{y,1}]}}.
    {move,{y,2},{x,0}}.
    {line,[{scope,[3]},{location,[],8}]}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,31}.
    {test,is_eq_exact,{f,32},[{y,3},{literal,{'$bt_class','Bench'}}]}.
    {move,{x,0},{x,1}}.
    {move,{literal,{'$bt_class','Bench'}},{x,0}}.
    {call,2,{f,25}}. % 'c:fib:'/2
    {move,{x,0},{y,4}}.
    {jump,{f,33}}.
  {label,32}.
    {test_heap,2,1}.
    {put_list,{x,0},nil,{x,2}}.
    {move,{atom,'fib:'},{x,1}}.
    {move,{y,3},{x,0}}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
    {move,{x,0},{y,4}}.
  {label,33}.
    {test,is_integer,{f,34},[{y,2}]}.
    {line,[{location,[],8}]}.
    {gc_bif,'-',{f,0},0,[{tr,{y,2},{t_integer,any}},{integer,2}],{x,0}}.
    {jump,{f,35}}.
  {label,34}.
    {move,{atom,'-'},{x,1}}.
    {move,{literal,[2]},{x,2}}.
    {move,{y,2},{x,0}}.
    {init_yregs,{list,[{y,2}]}}.
    {line,[{scope,[3]},{location,[],8}]}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,35}.
    {test,is_eq_exact,{f,36},[{y,3},{literal,{'$bt_class','Bench'}}]}.
    {move,{x,0},{x,1}}.
    {init_yregs,{list,[{y,3}]}}.
    {move,{literal,{'$bt_class','Bench'}},{x,0}}.
    {call,2,{f,25}}. % 'c:fib:'/2
    {jump,{f,37}}.
  {label,36}.
    {test_heap,2,1}.
    {put_list,{x,0},nil,{x,2}}.
    {move,{atom,'fib:'},{x,1}}.
    {move,{y,3},{x,0}}.
    {init_yregs,{list,[{y,3}]}}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,37}.
    {test,is_integer,{f,38},[{y,4}]}.
    {test,is_integer,{f,38},[{x,0}]}.
    {line,[{location,[],8}]}.
    {gc_bif,'+',
            {f,0},
            1,
            [{tr,{y,4},{t_integer,any}},{tr,{x,0},{t_integer,any}}],
            {x,0}}.
    {deallocate,5}.
    return.
  {label,38}.
    {test_heap,2,1}.
    {put_list,{x,0},nil,{x,2}}.
    {move,{atom,'+'},{x,1}}.
    {move,{y,4},{x,0}}.
    {line,[{scope,[3]},{location,[],8}]}.
    {call_ext_last,3,{extfunc,beamtalk_rt,send,3},5}.
  {label,39}.
    {call_ext,0,{extfunc,erlang,make_ref,0}}.
    {test_heap,{alloc,[{words,4},{floats,0},{funs,1}]},1}.
    {make_fun3,{f,56},0,0,{x,1},{list,[{y,2},{x,0}]}}.
    {put_list,{x,1},nil,{x,2}}.
    {move,{x,0},{y,0}}.
    {'try',{y,4},{f,49}}.
    {move,{atom,'ifTrue:'},{x,1}}.
    {move,{y,1},{x,0}}.
    {init_yregs,{list,[{y,1}]}}.
    {line,[{scope,[3]},{location,[],7}]}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
    {try_end,{y,4}}.
    {test,is_integer,{f,40},[{y,2}]}.
    {line,[{location,[],8}]}.
    {gc_bif,'-',{f,0},0,[{tr,{y,2},{t_integer,any}},{integer,1}],{x,0}}.
    {jump,{f,41}}.
  {label,40}.
    {move,{atom,'-'},{x,1}}.
    {move,{literal,[1]},{x,2}}.
    {init_yregs,{list,[{y,0}]}}.
    {move,{y,2},{x,0}}.
    {line,[{scope,[1]},{location,[],8}]}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,41}.
    {test,is_eq_exact,{f,42},[{y,3},{literal,{'$bt_class','Bench'}}]}.
    {move,{x,0},{x,1}}.
    {move,{literal,{'$bt_class','Bench'}},{x,0}}.
    {call,2,{f,25}}. % 'c:fib:'/2
    {move,{x,0},{y,4}}.
    {jump,{f,43}}.
  {label,42}.
    {test_heap,2,1}.
    {put_list,{x,0},nil,{x,2}}.
    {move,{atom,'fib:'},{x,1}}.
    {move,{y,3},{x,0}}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
    {move,{x,0},{y,4}}.
  {label,43}.
    {test,is_integer,{f,44},[{y,2}]}.
    {line,[{location,[],8}]}.
    {gc_bif,'-',{f,0},0,[{tr,{y,2},{t_integer,any}},{integer,2}],{x,0}}.
    {jump,{f,45}}.
  {label,44}.
    {move,{atom,'-'},{x,1}}.
    {move,{literal,[2]},{x,2}}.
    {move,{y,2},{x,0}}.
    {init_yregs,{list,[{y,2}]}}.
    {line,[{scope,[1]},{location,[],8}]}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,45}.
    {test,is_eq_exact,{f,46},[{y,3},{literal,{'$bt_class','Bench'}}]}.
    {move,{x,0},{x,1}}.
    {init_yregs,{list,[{y,3}]}}.
    {move,{literal,{'$bt_class','Bench'}},{x,0}}.
    {call,2,{f,25}}. % 'c:fib:'/2
    {jump,{f,47}}.
  {label,46}.
    {test_heap,2,1}.
    {put_list,{x,0},nil,{x,2}}.
    {move,{atom,'fib:'},{x,1}}.
    {move,{y,3},{x,0}}.
    {init_yregs,{list,[{y,3}]}}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,47}.
    {test,is_integer,{f,48},[{y,4}]}.
    {test,is_integer,{f,48},[{x,0}]}.
    {line,[{location,[],8}]}.
    {gc_bif,'+',
            {f,0},
            1,
            [{tr,{y,4},{t_integer,any}},{tr,{x,0},{t_integer,any}}],
            {x,0}}.
    {deallocate,5}.
    return.
  {label,48}.
    {test_heap,2,1}.
    {put_list,{x,0},nil,{x,2}}.
    {move,{atom,'+'},{x,1}}.
    {move,{y,4},{x,0}}.
    {line,[{scope,[1]},{location,[],8}]}.
    {call_ext_last,3,{extfunc,beamtalk_rt,send,3},5}.
  {label,49}.
    {try_case,{y,4}}.
    {test,is_eq_exact,
          {f,50},
          [{tr,{x,0},{t_atom,[error,exit,throw]}},{atom,throw}]}.
    {test,is_tagged_tuple,{f,50},[{x,1},3,{atom,'$bt_nlr'}]}.
    {get_tuple_element,{x,1},1,{x,0}}.
    {test,is_eq_exact,{f,50},[{x,0},{tr,{y,0},reference}]}.
    {get_tuple_element,{x,1},2,{x,0}}.
    {deallocate,5}.
    return.
  {label,50}.
    {bif,raise,{f,0},[{x,2},{x,1}],{x,0}}.


{function, module_info, 0, 52}.
  {label,51}.
    {line,[]}.
    {func_info,{atom,bt_class_Bench},{atom,module_info},0}.
  {label,52}.
    {move,{atom,bt_class_Bench},{x,0}}.
    {call_ext_only,1,{extfunc,erlang,get_module_info,1}}.


{function, module_info, 1, 54}.
  {label,53}.
    {line,[]}.
    {func_info,{atom,bt_class_Bench},{atom,module_info},1}.
  {label,54}.
    {move,{x,0},{x,1}}.
    {move,{atom,bt_class_Bench},{x,0}}.
    {call_ext_only,2,{extfunc,erlang,get_module_info,2}}.


{function, '-c:fib:/2-fun-0-', 2, 56}.
  {label,55}.
    {line,[{location,[],7}]}.
    {func_info,{atom,bt_class_Bench},{atom,'-c:fib:/2-fun-0-'},2}.
  {label,56}.
    {'%',{var_info,{x,1},[{type,reference}]}}.
    {swap,{x,0},{x,1}}.
    {call_ext_only,2,{extfunc,beamtalk_rt,non_local_return,2}}.


{function, '-c:loop:/2-fun-2-', 2, 58}.
  {label,57}.
    {line,[{location,[],4}]}.
    {func_info,{atom,bt_class_Bench},{atom,'-c:loop:/2-fun-2-'},2}.
  {label,58}.
    {allocate,2,2}.
    {move,{x,0},{y,0}}.
    {move,{x,1},{y,1}}.
    {move,{atom,s},{x,1}}.
    {call_ext,2,{extfunc,beamtalk_rt,peek,2}}.
    {test_heap,{alloc,[{words,6},{floats,0},{funs,1}]},1}.
    {make_fun3,{f,60},0,0,{x,0},{list,[{y,0},{x,0}]}}.
    {put_list,{x,0},nil,{x,0}}.
    {put_list,{y,1},{x,0},{x,2}}.
    {move,{atom,'to:do:'},{x,1}}.
    {move,{integer,1},{x,0}}.
    {call_ext_last,3,{extfunc,beamtalk_rt,send,3},2}.


{function, '-c:loop:/2-fun-1-', 3, 60}.
  {label,59}.
    {line,[{location,[],4}]}.
    {func_info,{atom,bt_class_Bench},{atom,'-c:loop:/2-fun-1-'},3}.
  {label,60}.
    {allocate,2,3}.
    {move,{x,1},{y,0}}.
    {move,{x,0},{y,1}}.
    {move,{x,1},{x,0}}.
    {move,{atom,s},{x,1}}.
    {call_ext,3,{extfunc,beamtalk_rt,get,3}}.
    {test,is_integer,{f,61},[{x,0}]}.
    {test,is_integer,{f,61},[{y,1}]}.
    {gc_bif,'+',
            {f,0},
            1,
            [{tr,{x,0},{t_integer,any}},{tr,{y,1},{t_integer,any}}],
            {x,2}}.
    {jump,{f,62}}.
  {label,61}.
    {test_heap,2,1}.
    {put_list,{y,1},nil,{x,2}}.
    {move,{atom,'+'},{x,1}}.
    {init_yregs,{list,[{y,1}]}}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
    {move,{x,0},{x,2}}.
  {label,62}.
    {move,{atom,s},{x,1}}.
    {move,{y,0},{x,0}}.
    {call_ext_last,3,{extfunc,beamtalk_rt,set,3},2}.


{function, '-c:loop:/2-Loop@4/2-0-', 3, 64}.
  {label,63}.
    {line,[{location,[],4}]}.
    {func_info,{atom,bt_class_Bench},{atom,'-c:loop:/2-Loop@4/2-0-'},3}.
  {label,64}.
    {'%',{var_info,{x,2},[{type,{t_integer,any}}]}}.
    {test,is_ge,{f,67},[{tr,{x,2},{t_integer,any}},{x,0}]}.
    {allocate,2,3}.
    {move,{x,0},{y,0}}.
    {move,{x,2},{y,1}}.
    {test,is_integer,{f,65},[{x,1}]}.
    {test,is_integer,{f,65},[{x,0}]}.
    {gc_bif,'+',
            {f,0},
            2,
            [{tr,{x,1},{t_integer,any}},{tr,{x,0},{t_integer,any}}],
            {x,0}}.
    {jump,{f,66}}.
  {label,65}.
    {test_heap,2,2}.
    {put_list,{y,0},nil,{x,2}}.
    {move,{x,1},{x,0}}.
    {move,{atom,'+'},{x,1}}.
    {call_ext,3,{extfunc,beamtalk_rt,send,3}}.
  {label,66}.
    {gc_bif,'+',{f,0},1,[{y,0},{integer,1}],{x,1}}.
    {move,{y,1},{x,2}}.
    {swap,{x,0},{x,1}}.
    {call_last,3,{f,64},2}. % '-c:loop:/2-Loop@4/2-0-'/3
  {label,67}.
    {move,{x,1},{x,0}}.
    return.
