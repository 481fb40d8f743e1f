autocmd BufRead,BufNewFile *.bt setfiletype beamtalk
